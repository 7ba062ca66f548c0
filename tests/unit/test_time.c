/*
 * Unit tests for common/pl_time: RFC 3339 and date parsing, formatting,
 * civil-date arithmetic and the replaceable clock.
 * Run one test with: test_time <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "common/pl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka prints integers as unsigned; print signed microseconds ourselves. */
#define assert_usec_equal(a, b)                                                                    \
    do {                                                                                           \
        int64_t a_ = (a), b_ = (b);                                                                \
        if (a_ != b_) {                                                                            \
            fail_msg("%s == %" PRId64 ", expected %s == %" PRId64, #a, a_, #b, b_);                \
        }                                                                                          \
    } while (0)

/* ---------------------------------------------------------------- parse RFC 3339 */

static const struct {
    const char *s;
    pl_usec_t want;
} s_valid[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"1970-01-01T00:00:00.000001Z", 1},
    {"1970-01-01T00:00:01Z", 1000000},
    {"1969-12-31T23:59:59Z", -1000000},
    {"1969-12-31T23:59:59.999999Z", -1},
    {"1969-12-31T23:59:59.5Z", -500000},
    {"1969-07-20T20:17:40Z", INT64_C(-14182940000000)},
    {"2000-01-01T00:00:00Z", INT64_C(946684800000000)},
    {"2026-11-28T12:00:00Z", INT64_C(1795867200000000)},
    {"2038-01-19T03:14:08Z", INT64_C(2147483648000000)},
    {"1900-01-01T00:00:00Z", INT64_C(-2208988800000000)},
    {"0001-01-01T00:00:00Z", INT64_C(-62135596800000000)},
    {"0000-01-01T00:00:00Z", INT64_C(-62167219200000000)},
    {"0000-02-29T00:00:00Z", INT64_C(-62162121600000000)}, /* year 0 is a leap year */
    {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999)},
    /* separators and the 'z' spelling */
    {"2026-11-28t12:00:00Z", INT64_C(1795867200000000)},
    {"2026-11-28 12:00:00Z", INT64_C(1795867200000000)},
    {"2026-11-28T12:00:00z", INT64_C(1795867200000000)},
    {"2026-11-28t12:00:00z", INT64_C(1795867200000000)},
    /* offsets */
    {"2026-11-28T20:00:00+08:00", INT64_C(1795867200000000)},
    {"2026-11-28T04:00:00-08:00", INT64_C(1795867200000000)},
    {"2026-11-28T12:00:00+00:00", INT64_C(1795867200000000)},
    {"2026-11-28T12:00:00-00:00", INT64_C(1795867200000000)},
    {"2026-11-28T17:30:00+05:30", INT64_C(1795867200000000)},
    {"2026-11-28T12:00:00+05:45", INT64_C(1795846500000000)},
    {"2026-12-31T23:59:59-23:59", INT64_C(1798847939000000)},
    {"2026-01-01T00:00:00+14:00", INT64_C(1767175200000000)},
    {"2026-11-29T11:59:00+23:59", INT64_C(1795867200000000)},
    {"2026-11-27T12:01:00-23:59", INT64_C(1795867200000000)},
    {"1970-01-01T08:00:00+08:00", 0},
    {"1970-01-01T00:00:00+00:01", -60000000},
    /* fraction lengths 1..9, truncated (never rounded) to microseconds */
    {"2026-11-28T12:00:00.1Z", INT64_C(1795867200100000)},
    {"2026-11-28T12:00:00.12Z", INT64_C(1795867200120000)},
    {"2026-11-28T12:00:00.123Z", INT64_C(1795867200123000)},
    {"2026-11-28T12:00:00.1234Z", INT64_C(1795867200123400)},
    {"2026-11-28T12:00:00.12345Z", INT64_C(1795867200123450)},
    {"2026-11-28T12:00:00.123456Z", INT64_C(1795867200123456)},
    {"2026-11-28T12:00:00.1234567Z", INT64_C(1795867200123456)},
    {"2026-11-28T12:00:00.12345678Z", INT64_C(1795867200123456)},
    {"2026-11-28T12:00:00.123456789Z", INT64_C(1795867200123456)},
    {"2026-11-28T12:00:00.999999999Z", INT64_C(1795867200999999)},
    {"2026-11-28T12:00:00.000000001Z", INT64_C(1795867200000000)},
    {"2026-11-28T12:00:00.0Z", INT64_C(1795867200000000)},
    {"2026-11-28T20:00:00.5+08:00", INT64_C(1795867200500000)},
    /* leap days and month ends */
    {"2024-02-29T00:00:00Z", INT64_C(1709164800000000)},
    {"2000-02-29T23:59:59Z", INT64_C(951868799000000)},
    {"1600-02-29T00:00:00Z", INT64_C(-11670998400000000)},
    {"2026-01-31T00:00:00Z", INT64_C(1769817600000000)},
    {"2026-03-31T00:00:00Z", INT64_C(1774915200000000)},
    {"2026-04-30T00:00:00Z", INT64_C(1777507200000000)},
    {"2026-12-31T23:59:59Z", INT64_C(1798761599000000)},
    {"2026-11-28T23:59:59Z", INT64_C(1795910399000000)},
};

static const char *const s_invalid[] = {
    "",
    "2026",
    "2026-11-28",
    "2026-11-28T",
    "2026-11-28T12:00:00", /* offset required */
    "2026-11-28T12:00Z",   /* seconds required */
    "2026-11-28T12Z",
    "2026-11-28T12:00:60Z", /* leap second refused */
    "2026-12-31T23:59:60Z",
    "2026-11-28T12:00:61Z",
    "2026-11-28T24:00:00Z",
    "2026-11-28T25:00:00Z",
    "2026-11-28T12:60:00Z",
    "2026-11-28T12:99:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-31T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-06-31T00:00:00Z",
    "2026-09-31T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-02-29T00:00:00Z", /* not a leap year */
    "1900-02-29T00:00:00Z", /* divisible by 100 */
    "2100-02-29T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2026-1-01T00:00:00Z",
    "2026-11-1T00:00:00Z",
    "26-11-28T12:00:00Z",
    "02026-11-28T12:00:00Z",
    "+2026-11-28T12:00:00Z",
    "-2026-11-28T12:00:00Z",
    "2026/11/28T12:00:00Z",
    "2026-11-28X12:00:00Z",
    "2026-11-28_12:00:00Z",
    "2026-11-28TT12:00:00Z",
    "2026-11-28T1:00:00Z",
    "2026-11-28T12:0:00Z",
    "2026-11-28T12:00:0Z",
    "2026-11-28T12.00.00Z",
    "2026-11-28T12:00:00.Z",           /* empty fraction */
    "2026-11-28T12:00:00.1234567890Z", /* 10 fraction digits */
    "2026-11-28T12:00:00,5Z",          /* comma decimal sign (ISO 8601 only) */
    "2026-11-28T12:00:00.5",
    "2026-11-28T12:00:00+8:00",
    "2026-11-28T12:00:00+08",
    "2026-11-28T12:00:00+0800",
    "2026-11-28T12:00:00+08:0",
    "2026-11-28T12:00:00+08:00:00",
    "2026-11-28T12:00:00+24:00",
    "2026-11-28T12:00:00-24:00",
    "2026-11-28T12:00:00+08:60",
    "2026-11-28T12:00:00+99:99",
    "2026-11-28T12:00:00-",
    "2026-11-28T12:00:00+",
    "2026-11-28T12:00:00UTC",
    "2026-11-28T12:00:00GMT",
    "2026-11-28T12:00:00 Z",
    "2026-11-28T12:00:00Z ", /* trailing space */
    " 2026-11-28T12:00:00Z", /* leading space */
    "2026-11-28T12:00:00Z\n",
    "2026-11-28T12:00:00Zjunk",
    "2026-11-28T12:00:00ZZ",
    "2026-11-28T12:00:00+08:00Z",
    "2026-11-28T12:00:00Z+08:00",
    "2026-11-28\t12:00:00Z",
    "2026-11-28T12:00:00\xef\xbc\xba", /* FULLWIDTH LATIN CAPITAL LETTER Z */
    "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-11-28T12:00:00Z", /* fullwidth digits */
    "2026-11-28T12:00:00.-1Z",
    "2026-11-28T12:00:00.+1Z",
    "2026-11-28T12:00:00. 1Z",
    "2026-11-28T12:00:00.1.2Z",
    "abcd-ef-ghTij:kl:mnZ",
    "2026-11-28T12:00:00e3Z",
    "2026-W48-6T12:00:00Z", /* ISO week date */
    "2026-332T12:00:00Z",   /* ordinal date */
    "20261128T120000Z",     /* basic format */
    "1795867200",
    "now",
    "Sat, 28 Nov 2026 12:00:00 GMT",
};

static void test_parse_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(s_valid); i++) {
        pl_usec_t t = 42;
        int rc = pl_time_parse_rfc3339(s_valid[i].s, &t);
        if (rc != 0) {
            fail_msg("valid[%zu] \"%s\" refused (%d)", i, s_valid[i].s, rc);
        }
        if (t != s_valid[i].want) {
            fail_msg("valid[%zu] \"%s\" -> %" PRId64 ", expected %" PRId64, i, s_valid[i].s, t,
                     s_valid[i].want);
        }
    }
}

static void test_parse_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(s_invalid); i++) {
        pl_usec_t t = 42;
        int rc = pl_time_parse_rfc3339(s_invalid[i], &t);
        if (rc != PL_EINVAL) {
            fail_msg("invalid[%zu] \"%s\" gave %d, expected PL_EINVAL", i, s_invalid[i], rc);
        }
        if (t != 42) {
            fail_msg("invalid[%zu] \"%s\" wrote the output", i, s_invalid[i]);
        }
    }
}

static void test_parse_null_arguments(void **state)
{
    (void)state;
    pl_usec_t t = 42;
    assert_int_equal(pl_time_parse_rfc3339(NULL, &t), PL_EINVAL);
    assert_int_equal(pl_time_parse_rfc3339("2026-11-28T12:00:00Z", NULL), PL_EINVAL);
    assert_usec_equal(t, 42);
}

/* Every prefix of a valid time is refused, and nothing reads past the NUL. */
static void test_parse_every_prefix_refused(void **state)
{
    (void)state;
    const char *full[] = {"2026-11-28T12:00:00.123456789+08:00", "2026-11-28T12:00:00Z"};
    for (size_t k = 0; k < ARRAY_SIZE(full); k++) {
        size_t n = strlen(full[k]);
        for (size_t len = 0; len < n; len++) {
            char buf[64];
            memcpy(buf, full[k], len);
            buf[len] = '\0';
            pl_usec_t t;
            if (pl_time_parse_rfc3339(buf, &t) != PL_EINVAL) {
                fail_msg("prefix \"%s\" accepted", buf);
            }
        }
    }
}

/* Each month's last day is valid and the day after is not, for leap and common years. */
static void test_parse_month_lengths(void **state)
{
    (void)state;
    const int years[] = {1900, 1999, 2000, 2023, 2024, 2026, 2100, 2400};
    for (size_t y = 0; y < ARRAY_SIZE(years); y++) {
        for (int m = 1; m <= 12; m++) {
            int last = pl_time_days_in_month(years[y], m);
            char buf[40];
            pl_usec_t t;
            snprintf(buf, sizeof buf, "%04d-%02d-%02dT00:00:00Z", years[y], m, last);
            if (pl_time_parse_rfc3339(buf, &t) != 0) {
                fail_msg("%s refused", buf);
            }
            snprintf(buf, sizeof buf, "%04d-%02d-%02dT00:00:00Z", years[y], m, last + 1);
            if (pl_time_parse_rfc3339(buf, &t) != PL_EINVAL) {
                fail_msg("%s accepted", buf);
            }
        }
    }
}

/* Compares with the C library's timegm for every day from 1900 to 2100. */
static void test_parse_matches_timegm(void **state)
{
    (void)state;
    for (int y = 1900; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= pl_time_days_in_month(y, m); d++) {
                struct tm tm = {.tm_year = y - 1900,
                                .tm_mon = m - 1,
                                .tm_mday = d,
                                .tm_hour = 13,
                                .tm_min = 14,
                                .tm_sec = 15};
                int64_t want = (int64_t)timegm(&tm) * PL_USEC_PER_SEC;
                char buf[40];
                pl_usec_t t;
                snprintf(buf, sizeof buf, "%04d-%02d-%02dT13:14:15Z", y, m, d);
                assert_int_equal(pl_time_parse_rfc3339(buf, &t), 0);
                if (t != want) {
                    fail_msg("%s -> %" PRId64 ", timegm says %" PRId64, buf, t, want);
                }
            }
        }
    }
}

/* All offsets -23:59..+23:59 in steps of 7 minutes name the same instant. */
static void test_parse_offsets_same_instant(void **state)
{
    (void)state;
    pl_usec_t base = INT64_C(1795867200000000); /* 2026-11-28T12:00:00Z */
    for (int off = -(23 * 60 + 59); off <= 23 * 60 + 59; off += 7) {
        pl_usec_t local = base + (pl_usec_t)off * PL_USEC_PER_MIN;
        char stamp[PL_TIME_RFC3339_SIZE];
        char buf[64];
        size_t n = pl_time_format_rfc3339(local, stamp, sizeof stamp);
        assert_true(n > 1);
        stamp[n - 1] = '\0'; /* drop the Z */
        int a = off < 0 ? -off : off;
        snprintf(buf, sizeof buf, "%s%c%02d:%02d", stamp, off < 0 ? '-' : '+', a / 60, a % 60);
        pl_usec_t t;
        if (pl_time_parse_rfc3339(buf, &t) != 0 || t != base) {
            fail_msg("%s does not parse to 2026-11-28T12:00:00Z", buf);
        }
    }
}

/* ---------------------------------------------------------------- format */

static const struct {
    pl_usec_t t;
    const char *want;
} s_format[] = {
    {0, "1970-01-01T00:00:00Z"},
    {1, "1970-01-01T00:00:00.000001Z"},
    {-1, "1969-12-31T23:59:59.999999Z"},
    {-1000000, "1969-12-31T23:59:59Z"},
    {-500000, "1969-12-31T23:59:59.500000Z"},
    {-999999, "1969-12-31T23:59:59.000001Z"},
    {-1000001, "1969-12-31T23:59:58.999999Z"},
    {INT64_C(-86400000000), "1969-12-31T00:00:00Z"},
    {INT64_C(-86400000001), "1969-12-30T23:59:59.999999Z"},
    {INT64_C(946684800000000), "2000-01-01T00:00:00Z"},
    {INT64_C(1795867200000000), "2026-11-28T12:00:00Z"},
    {INT64_C(1795867200123456), "2026-11-28T12:00:00.123456Z"},
    {INT64_C(1795867200100000), "2026-11-28T12:00:00.100000Z"},
    {INT64_C(1795910399000000), "2026-11-28T23:59:59Z"},
    {INT64_C(1709164800000000), "2024-02-29T00:00:00Z"},
    {INT64_C(951868799000000), "2000-02-29T23:59:59Z"},
    {INT64_C(2147483648000000), "2038-01-19T03:14:08Z"},
    {INT64_C(-2208988800000000), "1900-01-01T00:00:00Z"},
    {INT64_C(-11670998400000000), "1600-02-29T00:00:00Z"},
    {INT64_C(-62135596800000000), "0001-01-01T00:00:00Z"},
    {INT64_C(-62167219200000000), "0000-01-01T00:00:00Z"},
    {INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z"},
    /* Outside RFC 3339's years: still well defined, never garbage. */
    {INT64_C(253402300800000000), "10000-01-01T00:00:00Z"},
    {INT64_C(-62167305600000000), "-0001-12-31T00:00:00Z"},
    {INT64_MAX, "294247-01-10T04:00:54.775807Z"},
    {INT64_MIN, "-290308-12-21T19:59:05.224192Z"},
};

static void test_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(s_format); i++) {
        char buf[PL_TIME_RFC3339_SIZE];
        memset(buf, 'x', sizeof buf);
        size_t n = pl_time_format_rfc3339(s_format[i].t, buf, sizeof buf);
        if (strcmp(buf, s_format[i].want) != 0 || n != strlen(s_format[i].want)) {
            fail_msg("format[%zu] %" PRId64 " -> \"%s\" (%zu), expected \"%s\"", i, s_format[i].t,
                     buf, n, s_format[i].want);
        }
    }
}

static void test_format_buffer_sizes(void **state)
{
    (void)state;
    const char *want = "2026-11-28T12:00:00.123456Z";
    size_t len = strlen(want);
    char buf[64];
    /* Exactly large enough. */
    assert_int_equal(pl_time_format_rfc3339(INT64_C(1795867200123456), buf, len + 1), len);
    assert_string_equal(buf, want);
    /* One byte short: nothing partial is left behind. */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(pl_time_format_rfc3339(INT64_C(1795867200123456), buf, len), 0);
    assert_string_equal(buf, "");
    /* size 1: only the NUL fits. */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(pl_time_format_rfc3339(0, buf, 1), 0);
    assert_int_equal(buf[0], '\0');
    /* size 0 and NULL never write. */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(pl_time_format_rfc3339(0, buf, 0), 0);
    assert_int_equal(buf[0], 'x');
    assert_int_equal(pl_time_format_rfc3339(0, NULL, 10), 0);
    /* PL_TIME_RFC3339_SIZE holds the longest possible output. */
    assert_true(pl_time_format_rfc3339(INT64_MIN, buf, PL_TIME_RFC3339_SIZE) > 0);
    assert_true(pl_time_format_rfc3339(INT64_MIN + 1, buf, PL_TIME_RFC3339_SIZE) > 0);
    assert_true(pl_time_format_rfc3339(INT64_MAX, buf, PL_TIME_RFC3339_SIZE) > 0);
}

/* format then parse gives back the same instant, from year 0 to 9999. */
static void test_format_parse_round_trip(void **state)
{
    (void)state;
    const pl_usec_t first = INT64_C(-62167219200000000); /* 0000-01-01 */
    const pl_usec_t last = INT64_C(253402300799999999);  /* 9999-12-31T23:59:59.999999 */
    /* A step that is not a multiple of a day, a second or a microsecond pattern. */
    const pl_usec_t step = INT64_C(86400000000) * 37 + INT64_C(3723456789);
    size_t count = 0;
    for (pl_usec_t t = first; t <= last - step; t += step) {
        const pl_usec_t cases[] = {t, t - t % PL_USEC_PER_SEC};
        for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
            char buf[PL_TIME_RFC3339_SIZE];
            pl_usec_t back = 0;
            assert_true(pl_time_format_rfc3339(cases[k], buf, sizeof buf) > 0);
            if (pl_time_parse_rfc3339(buf, &back) != 0 || back != cases[k]) {
                fail_msg("%" PRId64 " -> \"%s\" -> %" PRId64, cases[k], buf, back);
            }
            count++;
        }
    }
    assert_true(count > 100000);
    /* The two ends themselves. */
    char buf[PL_TIME_RFC3339_SIZE];
    pl_usec_t back;
    pl_time_format_rfc3339(first, buf, sizeof buf);
    assert_int_equal(pl_time_parse_rfc3339(buf, &back), 0);
    assert_usec_equal(back, first);
    pl_time_format_rfc3339(last, buf, sizeof buf);
    assert_int_equal(pl_time_parse_rfc3339(buf, &back), 0);
    assert_usec_equal(back, last);
}

/* Microseconds around the epoch, where floor division matters. */
static void test_format_around_epoch(void **state)
{
    (void)state;
    for (pl_usec_t t = -2000001; t <= 2000001; t += 977) {
        char buf[PL_TIME_RFC3339_SIZE];
        pl_usec_t back;
        pl_time_format_rfc3339(t, buf, sizeof buf);
        if (pl_time_parse_rfc3339(buf, &back) != 0 || back != t) {
            fail_msg("%" PRId64 " -> \"%s\"", t, buf);
        }
    }
}

/* ---------------------------------------------------------------- date */

static void test_parse_date_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int y, m, d;
    } ok[] = {
        {"2026-11-28", 2026, 11, 28}, {"2024-02-29", 2024, 2, 29},  {"2000-02-29", 2000, 2, 29},
        {"0000-01-01", 0, 1, 1},      {"9999-12-31", 9999, 12, 31}, {"1970-01-01", 1970, 1, 1},
        {"2026-01-31", 2026, 1, 31},  {"2026-04-30", 2026, 4, 30},  {"1600-02-29", 1600, 2, 29},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        int y = -1, m = -1, d = -1;
        if (pl_time_parse_date(ok[i].s, &y, &m, &d) != 0) {
            fail_msg("\"%s\" refused", ok[i].s);
        }
        assert_int_equal(y, ok[i].y);
        assert_int_equal(m, ok[i].m);
        assert_int_equal(d, ok[i].d);
    }
    static const char *const bad[] = {
        "",
        "2026",
        "2026-11",
        "2026-11-",
        "2026-11-2",
        "2026-1-28",
        "26-11-28",
        "2026/11/28",
        "2026.11.28",
        "20261128",
        "2026-11-28 ",
        " 2026-11-28",
        "2026-11-28T",
        "2026-11-28T00:00:00Z",
        "2026-13-01",
        "2026-00-10",
        "2026-11-00",
        "2026-11-31",
        "2026-02-29",
        "1900-02-29",
        "2100-02-29",
        "2024-02-30",
        "2026-01-32",
        "+2026-11-28",
        "-2026-11-28",
        "2026-11-28\n",
        "２０２６-11-28",
        "2026-1a-28",
        "abcd-ef-gh",
        "2026--11-28",
        "02026-11-28",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int y = -1, m = -1, d = -1;
        if (pl_time_parse_date(bad[i], &y, &m, &d) != PL_EINVAL) {
            fail_msg("\"%s\" accepted", bad[i]);
        }
        assert_int_equal(y, -1);
        assert_int_equal(m, -1);
        assert_int_equal(d, -1);
    }
    int y, m, d;
    assert_int_equal(pl_time_parse_date(NULL, &y, &m, &d), PL_EINVAL);
    assert_int_equal(pl_time_parse_date("2026-11-28", NULL, &m, &d), PL_EINVAL);
    assert_int_equal(pl_time_parse_date("2026-11-28", &y, NULL, &d), PL_EINVAL);
    assert_int_equal(pl_time_parse_date("2026-11-28", &y, &m, NULL), PL_EINVAL);
}

/* ---------------------------------------------------------------- calendar arithmetic */

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(pl_time_is_leap_year(2024));
    assert_true(pl_time_is_leap_year(2000));
    assert_true(pl_time_is_leap_year(1600));
    assert_true(pl_time_is_leap_year(0));
    assert_true(pl_time_is_leap_year(-4));
    assert_true(pl_time_is_leap_year(-400));
    assert_false(pl_time_is_leap_year(2026));
    assert_false(pl_time_is_leap_year(1900));
    assert_false(pl_time_is_leap_year(2100));
    assert_false(pl_time_is_leap_year(-1));
    assert_false(pl_time_is_leap_year(-100));
    assert_int_equal(pl_time_days_in_month(2024, 2), 29);
    assert_int_equal(pl_time_days_in_month(2026, 2), 28);
    assert_int_equal(pl_time_days_in_month(2026, 1), 31);
    assert_int_equal(pl_time_days_in_month(2026, 4), 30);
    assert_int_equal(pl_time_days_in_month(2026, 12), 31);
    assert_int_equal(pl_time_days_in_month(2026, 0), 0);
    assert_int_equal(pl_time_days_in_month(2026, 13), 0);
}

/* Days are consecutive: walking the calendar day by day matches the day count. */
static void test_civil_days_consecutive(void **state)
{
    (void)state;
    int64_t y = -1;
    int m = 1, d = 1;
    int64_t days = pl_time_days_from_civil(y, m, d);
    for (int64_t i = 0; i < 366 * 10500; i++) {
        int64_t yy;
        int mm, dd;
        pl_time_civil_from_days(days, &yy, &mm, &dd);
        if (yy != y || mm != m || dd != d) {
            fail_msg("day %" PRId64 ": %" PRId64 "-%d-%d, expected %" PRId64 "-%d-%d", days, yy, mm,
                     dd, y, m, d);
        }
        days++;
        if (++d > pl_time_days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    assert_true(y > 10000);
    assert_int_equal(pl_time_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(pl_time_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(pl_time_days_from_civil(2000, 3, 1), 11017);
}

/* ---------------------------------------------------------------- clocks */

static pl_usec_t s_fake_now;

static pl_usec_t s_fake_clock(void)
{
    return s_fake_now;
}

static void test_now_injectable(void **state)
{
    (void)state;
    pl_usec_t (*saved)(void) = pl_now_fn;
    assert_ptr_equal(saved, pl_time_realtime_usec);
    pl_now_fn = s_fake_clock;
    s_fake_now = INT64_C(1795867200000000);
    assert_usec_equal(pl_now(), INT64_C(1795867200000000));
    s_fake_now += 5;
    assert_usec_equal(pl_now(), INT64_C(1795867200000005));
    pl_now_fn = saved;
}

static void test_now_default_is_realtime(void **state)
{
    (void)state;
    pl_usec_t t = pl_now();
    int64_t wall = (int64_t)time(NULL) * PL_USEC_PER_SEC;
    assert_true(t > INT64_C(1600000000) * PL_USEC_PER_SEC);
    assert_true(t >= wall - 2 * PL_USEC_PER_SEC && t <= wall + 2 * PL_USEC_PER_SEC);
}

static void test_monotonic(void **state)
{
    (void)state;
    pl_usec_t prev = pl_monotonic_usec();
    for (int i = 0; i < 1000; i++) {
        pl_usec_t t = pl_monotonic_usec();
        assert_true(t >= prev);
        prev = t;
    }
    struct timespec ts = {0, 2000000};
    pl_usec_t before = pl_monotonic_usec();
    nanosleep(&ts, NULL);
    assert_true(pl_monotonic_usec() - before >= 2000);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid_table),
        cmocka_unit_test(test_parse_invalid_table),
        cmocka_unit_test(test_parse_null_arguments),
        cmocka_unit_test(test_parse_every_prefix_refused),
        cmocka_unit_test(test_parse_month_lengths),
        cmocka_unit_test(test_parse_matches_timegm),
        cmocka_unit_test(test_parse_offsets_same_instant),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_buffer_sizes),
        cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_format_around_epoch),
        cmocka_unit_test(test_parse_date_table),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_civil_days_consecutive),
        cmocka_unit_test(test_now_injectable),
        cmocka_unit_test(test_now_default_is_realtime),
        cmocka_unit_test(test_monotonic),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
