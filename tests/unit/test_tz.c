/*
 * Unit tests for config/tz: the TZif reader and its POSIX TZ rules, checked
 * against the C library (localtime_r with TZ set, in this test only) hour
 * by hour, at every transition to the second, and in the daylight-saving
 * gaps and overlaps.
 * Run one test with: test_tz <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/tz.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define assert_i64_equal(a, b)                                                                     \
    do {                                                                                           \
        int64_t a_ = (a), b_ = (b);                                                                \
        if (a_ != b_) {                                                                            \
            fail_msg("%s == %" PRId64 ", expected %s == %" PRId64, #a, a_, #b, b_);                \
        }                                                                                          \
    } while (0)

static const char *const s_zones[] = {"Asia/Shanghai", "America/New_York", "Europe/London",
                                      "Australia/Sydney"};

/* 2020-01-01T00:00:00Z and 2031-01-01T00:00:00Z */
#define S_FROM INT64_C(1577836800)
#define S_TO INT64_C(1924992000)

static int64_t s_utc(const char *rfc3339)
{
    pl_usec_t t = 0;
    if (pl_time_parse_rfc3339(rfc3339, &t) != 0) {
        fail_msg("bad time in test: %s", rfc3339);
    }
    return t;
}

/* Local seconds of a wall-clock "YYYY-MM-DDTHH:MM:SS" (no offset). */
static int64_t s_local(const char *wall)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%sZ", wall);
    return s_utc(buf) / PL_USEC_PER_SEC;
}

static bool s_have_zoneinfo(void)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/America/New_York", dir && *dir ? dir : "/usr/share/zoneinfo");
    return access(path, R_OK) == 0;
}

#define SKIP_WITHOUT_ZONEINFO()                                                                    \
    do {                                                                                           \
        if (!s_have_zoneinfo()) {                                                                  \
            print_message("no zone database; skipped\n");                                          \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static pl_tz_t *s_load(const char *name)
{
    pl_err_t err;
    pl_err_clear(&err);
    pl_tz_t *tz = pl_tz_load(name, &err);
    if (!tz) {
        fail_msg("pl_tz_load(%s): %s", name, err.message);
    }
    return tz;
}

/* The C library's view, for comparison: TZ is set only here. */
static void s_libc_zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static long s_libc_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm)) {
        fail_msg("localtime_r failed at %" PRId64, t);
    }
    return tm.tm_gmtoff;
}

/* ---------------------------------------------------------------- built-in and errors */

static void test_utc_builtin(void **state)
{
    (void)state;
    pl_err_t err;
    pl_err_clear(&err);
    /* Built in: works with no zone database at all. */
    setenv("TZDIR", "/nonexistent-zoneinfo", 1);
    pl_tz_t *tz = pl_tz_load("UTC", &err);
    unsetenv("TZDIR");
    assert_non_null(tz);
    assert_string_equal(pl_tz_name(tz), "UTC");
    const int64_t samples[] = {INT64_MIN / 2, -1, 0, 1, s_utc("2026-03-08T07:00:00Z"),
                               INT64_MAX / 2};
    for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
        assert_int_equal(pl_tz_offset(tz, samples[i]), 0);
    }
    assert_i64_equal(pl_tz_to_utc(tz, 0), 0);
    assert_i64_equal(pl_tz_to_utc(tz, -86401), -86401 * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_local_seconds(tz, -1), -1); /* floor, not truncation */
    assert_i64_equal(pl_tz_to_utc(tz, INT64_MAX), PL_TZ_MAX_SECONDS * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, INT64_MIN), -PL_TZ_MAX_SECONDS * PL_USEC_PER_SEC);
    pl_tz_destroy(&tz);
    assert_null(tz);
    pl_tz_destroy(&tz);
    pl_tz_destroy(NULL);
}

static void test_load_errors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int code;
    } cases[] = {
        {"", PL_EINVAL},
        {"/etc/passwd", PL_EINVAL},
        {"../../etc/passwd", PL_EINVAL},
        {"Asia/../../etc/passwd", PL_EINVAL},
        {"Asia//Shanghai", PL_EINVAL},
        {"Asia/Shanghai/", PL_EINVAL},
        {"Asia/Shang hai", PL_EINVAL},
        {"1Asia", PL_EINVAL},
        {"Asia/.hidden", PL_EINVAL},
        {"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", PL_EINVAL},
        {"Mars/Olympus_Mons", PL_ENOENT},
        {"America", PL_ENOENT}, /* a directory */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_err_t err;
        pl_err_clear(&err);
        pl_tz_t *tz = pl_tz_load(cases[i].name, &err);
        if (tz || err.code != cases[i].code || !err.message[0]) {
            fail_msg("pl_tz_load(\"%s\"): got %p code %d (%s), expected code %d", cases[i].name,
                     (void *)tz, err.code, err.message, cases[i].code);
        }
    }
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_tz_load(NULL, &err));
    assert_int_equal(err.code, PL_EINVAL);
    assert_null(pl_tz_load("Mars/Olympus_Mons", NULL)); /* err may be NULL */
    pl_err_clear(&err);
    assert_null(pl_tz_load("Mars/Olympus_Mons", &err));
    assert_non_null(strstr(err.message, "unknown time zone Mars/Olympus_Mons"));
    /* Zones with leap seconds count TAI-like seconds, not POSIX time. */
    if (access("/usr/share/zoneinfo/right/UTC", R_OK) == 0 && !getenv("TZDIR")) {
        pl_err_clear(&err);
        assert_null(pl_tz_load("right/UTC", &err));
        assert_int_equal(err.code, PL_EINVAL);
        assert_non_null(strstr(err.message, "leap seconds"));
    }
}

/* ---------------------------------------------------------------- synthetic TZif files */

typedef struct {
    uint8_t data[4096];
    size_t size;
} s_file_t;

static void s_put32(s_file_t *f, uint32_t v)
{
    f->data[f->size++] = (uint8_t)(v >> 24);
    f->data[f->size++] = (uint8_t)(v >> 16);
    f->data[f->size++] = (uint8_t)(v >> 8);
    f->data[f->size++] = (uint8_t)v;
}

static void s_put64(s_file_t *f, int64_t v)
{
    s_put32(f, (uint32_t)((uint64_t)v >> 32));
    s_put32(f, (uint32_t)v);
}

static void s_header(s_file_t *f, char version, uint32_t timecnt, uint32_t typecnt,
                     uint32_t charcnt)
{
    memcpy(f->data + f->size, "TZif", 4);
    f->size += 4;
    f->data[f->size++] = (uint8_t)version;
    memset(f->data + f->size, 0, 15);
    f->size += 15;
    s_put32(f, 0);       /* isutcnt */
    s_put32(f, 0);       /* isstdcnt */
    s_put32(f, 0);       /* leapcnt */
    s_put32(f, timecnt); /* timecnt */
    s_put32(f, typecnt); /* typecnt */
    s_put32(f, charcnt); /* charcnt */
}

/* A zone file: transitions at[i] to type idx[i]; types with offsets and
 * isdst; version '\0' (v1, 32-bit only) or '2'/'3' with `footer`. */
static void s_make_tzif(s_file_t *f, char version, const int64_t *at, const uint8_t *idx, size_t n,
                        const int32_t *offs, const uint8_t *isdst, size_t ntypes,
                        const char *footer)
{
    f->size = 0;
    for (int pass = 0; pass < (version ? 2 : 1); pass++) {
        bool wide = pass == 1;
        if (version && !wide) {
            /* The minimal 32-bit block a v2+ reader skips, as zic -b slim writes it. */
            s_header(f, version, 0, 1, 4);
            s_put32(f, 0);
            f->data[f->size++] = 0;
            f->data[f->size++] = 0;
            memcpy(f->data + f->size, "XXX", 4);
            f->size += 4;
            continue;
        }
        s_header(f, version, (uint32_t)n, (uint32_t)ntypes, 4);
        for (size_t i = 0; i < n; i++) {
            if (wide) {
                s_put64(f, at[i]);
            } else {
                s_put32(f, (uint32_t)(int32_t)at[i]);
            }
        }
        for (size_t i = 0; i < n; i++) {
            f->data[f->size++] = idx[i];
        }
        for (size_t i = 0; i < ntypes; i++) {
            s_put32(f, (uint32_t)offs[i]);
            f->data[f->size++] = isdst[i];
            f->data[f->size++] = 0;
        }
        memcpy(f->data + f->size, "XXX", 4);
        f->size += 4;
    }
    if (version) {
        f->data[f->size++] = '\n';
        size_t len = strlen(footer);
        memcpy(f->data + f->size, footer, len);
        f->size += len;
        f->data[f->size++] = '\n';
    }
}

/* A zone that is only its footer: one transition in 1900 into the rule's
 * standard time, as zic writes for such zones. */
static pl_tz_t *s_footer_zone(const char *footer, int32_t std_off)
{
    s_file_t f;
    const int64_t at[] = {INT64_C(-2208988800)};
    const uint8_t idx[] = {1};
    const int32_t offs[] = {0, std_off};
    const uint8_t dst[] = {0, 0};
    s_make_tzif(&f, '2', at, idx, 1, offs, dst, 2, footer);
    pl_err_t err;
    pl_err_clear(&err);
    pl_tz_t *tz = pl_tz_load_tzif(footer, f.data, f.size, &err);
    if (!tz) {
        fail_msg("footer \"%s\": %s", footer, err.message);
    }
    return tz;
}

/* Footers (POSIX TZ strings) against the C library's own TZ parser, every
 * 3 hours of 2020-2030 and every second around each change. */
static void test_footer_rules_match_libc(void **state)
{
    (void)state;
    static const struct {
        const char *tz;
        int32_t std_off;
    } cases[] = {
        {"EST5EDT,M3.2.0,M11.1.0", -5 * 3600},
        {"CST6CDT,M3.2.0/2:00:00,M11.1.0/2:00:00", -6 * 3600},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", 10 * 3600}, /* southern hemisphere */
        {"NZST-12NZDT,M9.5.0,M4.1.0/3", 12 * 3600},  /* week 5 = last */
        {"GMT0BST,M3.5.0/1,M10.5.0", 0},
        {"IST-1GMT0,M10.5.0,M3.5.0/1", 3600},            /* negative DST (Dublin) */
        {"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", -3 * 3600}, /* negative rule times (v3) */
        {"<+0330>-3:30<+0430>,J79/24,J263/24", 12600},   /* Julian days, 24:00 */
        {"XXX3YYY,J60/2,J300/2", -3 * 3600},             /* J60 is March 1, leap or not */
        {"XXX3YYY,59/2,300/2", -3 * 3600},               /* zero-based: Feb 29 counts */
        {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 45900},
        {"<-0330>3:30<-0230>,M3.2.0/0:01,M11.1.0/0:01", -12600},
        {"XXX-5:30", 19800},    /* no daylight time */
        {"EST5EDT", -5 * 3600}, /* DST without rule: US rule */
    };
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        /* "EST5EDT" alone would make the C library load the zone file of that
         * name: give it the rule it defaults to instead. */
        const char *libc_tz =
            strcmp(cases[c].tz, "EST5EDT") == 0 ? "EST5EDT,M3.2.0,M11.1.0" : cases[c].tz;
        pl_tz_t *tz = s_footer_zone(cases[c].tz, cases[c].std_off);
        s_libc_zone(libc_tz);
        long prev = s_libc_offset(S_FROM);
        for (int64_t t = S_FROM; t < S_TO; t += 3 * 3600) {
            long want = s_libc_offset(t);
            if (pl_tz_offset(tz, t * PL_USEC_PER_SEC) != want) {
                fail_msg("%s at %" PRId64 ": %d, libc %ld", cases[c].tz, t,
                         pl_tz_offset(tz, t * PL_USEC_PER_SEC), want);
            }
            if (want != prev) {
                /* Find the change to the second with the C library and compare. */
                int64_t lo = t - 3 * 3600, hi = t;
                while (hi - lo > 1) {
                    int64_t mid = lo + (hi - lo) / 2;
                    if (s_libc_offset(mid) == prev) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                assert_int_equal(pl_tz_offset(tz, lo * PL_USEC_PER_SEC), prev);
                assert_int_equal(pl_tz_offset(tz, hi * PL_USEC_PER_SEC), want);
                assert_int_equal(pl_tz_offset(tz, hi * PL_USEC_PER_SEC - 1), prev);
            }
            prev = want;
        }
        pl_tz_destroy(&tz);
    }
    /* All-year daylight time (RFC 9636 3.3.1), which the C library does not
     * read this way: EDT every day of the year. */
    pl_tz_t *tz = s_footer_zone("EST5EDT,0/0,J365/25", -5 * 3600);
    for (int64_t t = S_FROM; t < S_TO; t += 3600) {
        assert_int_equal(pl_tz_offset(tz, t * PL_USEC_PER_SEC), -4 * 3600);
    }
    pl_tz_destroy(&tz);
    unsetenv("TZ");
}

/* A rule whose daylight period runs into the next year's (start Jan 1
 * 08:00, end 52 hours after Dec 31): the offset is that of the latest
 * change, whatever year it belongs to, and pl_tz_to_utc() stays the first
 * instant reading L (found by the fuzzer). */
static void test_footer_overlapping_years(void **state)
{
    (void)state;
    pl_tz_t *tz = s_footer_zone("EST0EDT,0/8,J365/52", 0);
    /* 2026: DST from Jan 1 08:00Z; the 2025 period ends Jan 2 03:00Z. */
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-01-01T07:59:59Z")), 0);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-01-01T08:00:00Z")), 3600);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-01-02T02:59:59Z")), 3600);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-01-02T03:00:00Z")), 0);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-06-01T00:00:00Z")), 0);
    const int64_t from = s_utc("1800-12-25T00:00:00Z") / PL_USEC_PER_SEC;
    for (int64_t local = from; local < from + 20 * 86400; local += 600) {
        pl_usec_t u = pl_tz_to_utc(tz, local);
        assert_true(pl_tz_local_seconds(tz, u) >= local);
        assert_true(pl_tz_local_seconds(tz, u - PL_USEC_PER_SEC) < local);
    }
    pl_tz_destroy(&tz);
}

static void test_footer_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "E5",                         /* name too short */
        "EST",                        /* no offset */
        "EST+",                       /* no hours */
        "EST25",                      /* offset above 24 hours */
        "EST5:6",                     /* minutes need two digits */
        "EST5:60",                    /* minutes above 59 */
        "EST5EDT,",                   /* no rule */
        "EST5EDT,M3.2.0",             /* one rule */
        "EST5EDT,M13.2.0,M11.1.0",    /* month 13 */
        "EST5EDT,M3.6.0,M11.1.0",     /* week 6 */
        "EST5EDT,M3.2.7,M11.1.0",     /* weekday 7 */
        "EST5EDT,J0,J365",            /* J counts from 1 */
        "EST5EDT,J366,J365",          /* J up to 365 */
        "EST5EDT,366,1",              /* n up to 365 */
        "EST5EDT,M3.2.0/168,M11.1.0", /* rule time above 167 hours */
        "EST5EDT,M3.2.0,M11.1.0x",    /* trailing text */
        "<AB>5",                      /* quoted name too short */
        "<ABC5",                      /* unclosed */
        "EST5EDT27",                  /* DST offset above 24 hours */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        s_file_t f;
        const int32_t offs[] = {0};
        const uint8_t dst[] = {0};
        s_make_tzif(&f, '3', NULL, NULL, 0, offs, dst, 1, bad[i]);
        pl_err_t err;
        pl_err_clear(&err);
        pl_tz_t *tz = pl_tz_load_tzif("bad", f.data, f.size, &err);
        if (tz) {
            fail_msg("footer \"%s\" accepted", bad[i]);
        }
        assert_int_equal(err.code, PL_EINVAL);
    }
    /* An empty footer is valid: the last type stays. */
    s_file_t f;
    const int64_t at[] = {0};
    const uint8_t idx[] = {1};
    const int32_t offs[] = {0, 7200};
    const uint8_t dst[] = {0, 0};
    s_make_tzif(&f, '2', at, idx, 1, offs, dst, 2, "");
    pl_tz_t *tz = pl_tz_load_tzif("empty", f.data, f.size, NULL);
    assert_non_null(tz);
    assert_int_equal(pl_tz_offset(tz, -1), 0);
    assert_int_equal(pl_tz_offset(tz, 0), 7200);
    assert_int_equal(pl_tz_offset(tz, s_utc("2100-01-01T00:00:00Z")), 7200);
    pl_tz_destroy(&tz);
}

/* Version 1: 32-bit transitions, no footer; and no transitions at all
 * (RFC 9636: then the footer, if any, applies everywhere, else type 0). */
static void test_v1_and_no_transitions(void **state)
{
    (void)state;
    s_file_t f;
    const int64_t at[] = {0, 86400, 2 * 86400};
    const uint8_t idx[] = {1, 0, 1};
    const int32_t offs[] = {3600, -7200};
    const uint8_t dst[] = {0, 1};
    s_make_tzif(&f, '\0', at, idx, 3, offs, dst, 2, NULL);
    pl_err_t err;
    pl_err_clear(&err);
    pl_tz_t *tz = pl_tz_load_tzif("v1", f.data, f.size, &err);
    assert_non_null(tz);
    assert_int_equal(pl_tz_offset(tz, -1), 3600); /* before the first: type 0 */
    assert_int_equal(pl_tz_offset(tz, 0), -7200);
    assert_int_equal(pl_tz_offset(tz, 86400 * PL_USEC_PER_SEC - 1), -7200);
    assert_int_equal(pl_tz_offset(tz, 86400 * PL_USEC_PER_SEC), 3600);
    assert_int_equal(pl_tz_offset(tz, s_utc("2200-01-01T00:00:00Z")), -7200);
    /* The gap at 86400 (from -2h to +1h): local 86400-7200 .. 86400+3600. */
    assert_i64_equal(pl_tz_to_utc(tz, 86400 - 7200 - 1), (86400 - 1) * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, 86400 - 7200), 86400 * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, 86400), 86400 * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, 86400 + 3600), 86400 * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, 86400 + 3601), (86400 + 1) * PL_USEC_PER_SEC);
    /* The overlap at 2*86400 (from +1h to -2h): the earlier instant. */
    assert_i64_equal(pl_tz_to_utc(tz, 2 * 86400 - 7200), (2 * 86400 - 10800) * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, 2 * 86400 + 3599), (2 * 86400 - 1) * PL_USEC_PER_SEC);
    assert_i64_equal(pl_tz_to_utc(tz, 2 * 86400 + 3600),
                     (2 * 86400 + 3600 + 7200) * PL_USEC_PER_SEC);
    pl_tz_destroy(&tz);

    const int32_t one[] = {19800};
    const uint8_t nodst[] = {0};
    s_make_tzif(&f, '2', NULL, NULL, 0, one, nodst, 1, "");
    tz = pl_tz_load_tzif("fixed", f.data, f.size, NULL);
    assert_non_null(tz);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-06-01T00:00:00Z")), 19800);
    pl_tz_destroy(&tz);
    s_make_tzif(&f, '2', NULL, NULL, 0, one, nodst, 1, "EST5EDT,M3.2.0,M11.1.0");
    tz = pl_tz_load_tzif("rule-only", f.data, f.size, NULL);
    assert_non_null(tz);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-06-01T00:00:00Z")), -4 * 3600);
    assert_int_equal(pl_tz_offset(tz, s_utc("2026-01-01T00:00:00Z")), -5 * 3600);
    pl_tz_destroy(&tz);
}

/* Every proper prefix of a valid file is refused, and no single corrupted
 * byte crashes the reader. */
static void test_corrupt_files(void **state)
{
    (void)state;
    s_file_t f;
    const int64_t at[] = {-100000, 0, 86400, INT64_C(4000000000)};
    const uint8_t idx[] = {1, 0, 1, 0};
    const int32_t offs[] = {3600, -7200};
    const uint8_t dst[] = {0, 1};
    s_make_tzif(&f, '3', at, idx, 4, offs, dst, 2, "<+01>-1");
    pl_tz_t *tz = pl_tz_load_tzif("ok", f.data, f.size, NULL);
    assert_non_null(tz);
    pl_tz_destroy(&tz);
    for (size_t len = 0; len < f.size; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, f.data, len);
        tz = pl_tz_load_tzif("cut", copy, len, NULL);
        free(copy);
        if (tz) {
            fail_msg("a file cut to %zu of %zu bytes was accepted", len, f.size);
        }
    }
    for (size_t i = 0; i < f.size; i++) {
        for (int bit = 0; bit < 8; bit++) {
            s_file_t g = f;
            g.data[i] ^= (uint8_t)(1u << bit);
            tz = pl_tz_load_tzif("flip", g.data, g.size, NULL);
            if (tz) {
                (void)pl_tz_offset(tz, 0);
                (void)pl_tz_to_utc(tz, 0);
                pl_tz_destroy(&tz);
            }
        }
    }
    /* Out-of-order transitions and bad type indices. */
    const int64_t unordered[] = {10, 5};
    const uint8_t idx2[] = {0, 0};
    s_make_tzif(&f, '2', unordered, idx2, 2, offs, dst, 2, "");
    assert_null(pl_tz_load_tzif("order", f.data, f.size, NULL));
    const int64_t ordered[] = {5, 10};
    const uint8_t badidx[] = {0, 2};
    s_make_tzif(&f, '2', ordered, badidx, 2, offs, dst, 2, "");
    assert_null(pl_tz_load_tzif("index", f.data, f.size, NULL));
    const int32_t huge[] = {27 * 3600};
    s_make_tzif(&f, '2', NULL, NULL, 0, huge, dst, 1, "");
    assert_null(pl_tz_load_tzif("offset", f.data, f.size, NULL));
    assert_null(pl_tz_load_tzif("null", NULL, 0, NULL));
}

static void test_tzdir(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_tz_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], path[256];
    snprintf(sub, sizeof sub, "%s/Test", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/Test/Zone", dir);
    s_file_t f;
    const int32_t offs[] = {0};
    const uint8_t dst[] = {0};
    s_make_tzif(&f, '2', NULL, NULL, 0, offs, dst, 1, "<+0545>-5:45");
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(f.data, 1, f.size, out), f.size);
    fclose(out);
    setenv("TZDIR", dir, 1);
    pl_err_t err;
    pl_err_clear(&err);
    pl_tz_t *tz = pl_tz_load("Test/Zone", &err);
    assert_non_null(tz);
    assert_int_equal(pl_tz_offset(tz, 0), 5 * 3600 + 45 * 60);
    pl_tz_destroy(&tz);
    pl_err_clear(&err);
    assert_null(pl_tz_load("Test", &err)); /* a directory */
    assert_int_equal(err.code, PL_ENOENT);
    /* Not a TZif file. */
    snprintf(path, sizeof path, "%s/Test/Text", dir);
    out = fopen(path, "wb");
    assert_non_null(out);
    fputs("not a zone\n", out);
    fclose(out);
    pl_err_clear(&err);
    assert_null(pl_tz_load("Test/Text", &err));
    assert_int_equal(err.code, PL_EINVAL);
    unlink(path);
    unsetenv("TZDIR");
    snprintf(path, sizeof path, "%s/Test/Zone", dir);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

/* ---------------------------------------------------------------- real zones against libc */

/* Every hour of 2020-2030, and every change to the second. */
static void test_offsets_match_libc(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    for (size_t z = 0; z < ARRAY_SIZE(s_zones); z++) {
        pl_tz_t *tz = s_load(s_zones[z]);
        s_libc_zone(s_zones[z]);
        long prev = s_libc_offset(S_FROM);
        int changes = 0;
        for (int64_t t = S_FROM; t < S_TO; t += 3600) {
            long want = s_libc_offset(t);
            if (pl_tz_offset(tz, t * PL_USEC_PER_SEC) != want) {
                fail_msg("%s at %" PRId64 ": %d, libc %ld", s_zones[z], t,
                         pl_tz_offset(tz, t * PL_USEC_PER_SEC), want);
            }
            if (want != prev) {
                int64_t lo = t - 3600, hi = t;
                while (hi - lo > 1) {
                    int64_t mid = lo + (hi - lo) / 2;
                    if (s_libc_offset(mid) == prev) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                assert_int_equal(pl_tz_offset(tz, hi * PL_USEC_PER_SEC - 1), prev);
                assert_int_equal(pl_tz_offset(tz, hi * PL_USEC_PER_SEC), want);
                changes++;
            }
            prev = want;
        }
        /* Two changes a year, except in Shanghai. */
        assert_int_equal(changes, strcmp(s_zones[z], "Asia/Shanghai") == 0 ? 0 : 22);
        pl_tz_destroy(&tz);
    }
    unsetenv("TZ");
}

/* After 2037 "fat" zone files have no more transitions: the footer rule
 * takes over (a "slim" file does so much earlier). */
static void test_offsets_after_table_match_libc(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    const int64_t from = s_utc("2036-01-01T00:00:00Z") / PL_USEC_PER_SEC;
    const int64_t to = s_utc("2061-01-01T00:00:00Z") / PL_USEC_PER_SEC;
    for (size_t z = 0; z < ARRAY_SIZE(s_zones); z++) {
        pl_tz_t *tz = s_load(s_zones[z]);
        s_libc_zone(s_zones[z]);
        for (int64_t t = from; t < to; t += 1800) {
            long want = s_libc_offset(t);
            if (pl_tz_offset(tz, t * PL_USEC_PER_SEC) != want) {
                fail_msg("%s at %" PRId64 ": %d, libc %ld", s_zones[z], t,
                         pl_tz_offset(tz, t * PL_USEC_PER_SEC), want);
            }
        }
        pl_tz_destroy(&tz);
    }
    unsetenv("TZ");
}

/*
 * The expected pl_tz_to_utc(L) from the C library alone: the earliest u
 * with u + offset(u) >= L. It is either L - o for an offset o in force near
 * L, or a change instant; sample the offsets every 3 hours over the +-26 h
 * window, find each change to the second, and take the least candidate
 * that qualifies.
 */
static int64_t s_libc_to_utc(int64_t local)
{
    int64_t cand[64];
    size_t n = 0;
    const int64_t from = local - 26 * 3600, to = local + 26 * 3600;
    long prev = s_libc_offset(from);
    cand[n++] = local - prev;
    for (int64_t t = from + 3 * 3600; t <= to + 3 * 3600 && n + 2 < ARRAY_SIZE(cand);
         t += 3 * 3600) {
        long o = s_libc_offset(t);
        if (o != prev) {
            int64_t lo = t - 3 * 3600, hi = t;
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (s_libc_offset(mid) == prev) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            cand[n++] = hi;
            cand[n++] = local - o;
        }
        prev = o;
    }
    int64_t best = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (cand[i] < best && cand[i] + s_libc_offset(cand[i]) >= local) {
            best = cand[i];
        }
    }
    return best;
}

/* Every 30 minutes of local time 2020-2030, which hits every gap and every
 * overlap of these zones (all their changes fall on the hour). */
static void test_to_utc_matches_libc(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    for (size_t z = 0; z < ARRAY_SIZE(s_zones); z++) {
        pl_tz_t *tz = s_load(s_zones[z]);
        s_libc_zone(s_zones[z]);
        int gaps = 0, overlaps = 0;
        pl_usec_t prev = INT64_MIN;
        for (int64_t local = S_FROM; local < S_TO; local += 1800) {
            pl_usec_t got = pl_tz_to_utc(tz, local);
            int64_t u = got / PL_USEC_PER_SEC;
            assert_i64_equal(got % PL_USEC_PER_SEC, 0);
            /* Quick checks hold everywhere: it reads L or later, and the
             * second before read earlier than L. */
            if (u + s_libc_offset(u) < local || u - 1 + s_libc_offset(u - 1) >= local) {
                fail_msg("%s local %" PRId64 ": %" PRId64 " is not the first instant", s_zones[z],
                         local, u);
            }
            if (got < prev) {
                fail_msg("%s local %" PRId64 ": went backwards", s_zones[z], local);
            }
            prev = got;
            long o = s_libc_offset(u);
            if (u + o > local) {
                gaps++;
            }
            /* An overlap: a later instant reads L too. */
            int64_t v = local - s_libc_offset(u + 2 * 3600);
            if (v > u && v + s_libc_offset(v) == local) {
                overlaps++;
            }
            /* The full oracle near changes (cheap enough everywhere, but
             * slow under sanitizers): within 2 days of a change. */
            if (s_libc_offset(u - 2 * 86400) != o || s_libc_offset(u + 2 * 86400) != o) {
                assert_i64_equal(u, s_libc_to_utc(local));
            }
        }
        if (strcmp(s_zones[z], "Asia/Shanghai") == 0) {
            assert_int_equal(gaps, 0);
        } else {
            /* Each spring: the two half hours of the skipped hour. */
            assert_int_equal(gaps, 2 * 11);
            assert_true(overlaps > 0);
        }
        pl_tz_destroy(&tz);
    }
    unsetenv("TZ");
}

static void test_gaps_and_overlaps_examples(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const struct {
        const char *zone;
        const char *local;
        const char *utc;
    } cases[] = {
        /* New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT */
        {"America/New_York", "2026-03-08T01:59:59", "2026-03-08T06:59:59Z"},
        {"America/New_York", "2026-03-08T02:00:00", "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08T02:30:00", "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08T02:59:59", "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08T03:00:00", "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08T03:00:01", "2026-03-08T07:00:01Z"},
        {"America/New_York", "2026-03-09T09:00:00", "2026-03-09T13:00:00Z"},
        /* fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:xx happens twice */
        {"America/New_York", "2026-11-01T00:59:59", "2026-11-01T04:59:59Z"},
        {"America/New_York", "2026-11-01T01:00:00", "2026-11-01T05:00:00Z"},
        {"America/New_York", "2026-11-01T01:30:00", "2026-11-01T05:30:00Z"},
        {"America/New_York", "2026-11-01T01:59:59", "2026-11-01T05:59:59Z"},
        {"America/New_York", "2026-11-01T02:00:00", "2026-11-01T07:00:00Z"},
        /* London 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT */
        {"Europe/London", "2026-03-29T01:30:00", "2026-03-29T01:00:00Z"},
        {"Europe/London", "2026-03-29T02:00:00", "2026-03-29T01:00:00Z"},
        {"Europe/London", "2026-10-25T01:30:00", "2026-10-25T00:30:00Z"},
        {"Europe/London", "2026-10-25T02:00:00", "2026-10-25T02:00:00Z"},
        /* Sydney (southern): 2026-10-04 02:00 AEST -> 03:00 AEDT; 2026-04-05 03:00 AEDT -> 02:00
           AEST */
        {"Australia/Sydney", "2026-10-04T02:30:00", "2026-10-03T16:00:00Z"},
        {"Australia/Sydney", "2026-10-04T03:00:00", "2026-10-03T16:00:00Z"},
        {"Australia/Sydney", "2026-04-05T02:30:00", "2026-04-04T15:30:00Z"},
        {"Australia/Sydney", "2026-04-05T03:00:00", "2026-04-04T17:00:00Z"},
        {"Australia/Sydney", "2026-12-31T23:00:00", "2026-12-31T12:00:00Z"},
        /* Shanghai: no daylight time since 1991 */
        {"Asia/Shanghai", "2026-10-09T18:00:00", "2026-10-09T10:00:00Z"},
        {"Asia/Shanghai", "1988-04-17T02:30:00", "1988-04-16T18:00:00Z"}, /* 1988 DST gap */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_tz_t *tz = s_load(cases[i].zone);
        pl_usec_t got = pl_tz_to_utc(tz, s_local(cases[i].local));
        if (got != s_utc(cases[i].utc)) {
            char buf[PL_TIME_RFC3339_SIZE];
            pl_time_format_rfc3339(got, buf, sizeof buf);
            fail_msg("%s %s: %s, expected %s", cases[i].zone, cases[i].local, buf, cases[i].utc);
        }
        pl_tz_destroy(&tz);
    }
}

static void test_local_seconds(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    pl_tz_t *tz = s_load("America/New_York");
    assert_i64_equal(pl_tz_local_seconds(tz, s_utc("2026-03-08T07:00:00Z")),
                     s_local("2026-03-08T03:00:00"));
    assert_i64_equal(pl_tz_local_seconds(tz, s_utc("2026-03-08T06:59:59.999999Z")),
                     s_local("2026-03-08T01:59:59"));
    assert_i64_equal(pl_tz_local_seconds(tz, s_utc("1969-12-31T23:59:59.5Z")),
                     s_local("1969-12-31T18:59:59"));
    /* Round trip away from changes. */
    for (int64_t t = S_FROM; t < S_TO; t += 86400 + 1234) {
        int64_t local = pl_tz_local_seconds(tz, t * PL_USEC_PER_SEC);
        pl_usec_t back = pl_tz_to_utc(tz, local);
        /* In an overlap the earlier instant comes back. */
        assert_true(back <= t * PL_USEC_PER_SEC);
        assert_i64_equal(pl_tz_local_seconds(tz, back), local);
    }
    pl_tz_destroy(&tz);
}

/* One zone, four threads, no locks: the zone is immutable after load. */
typedef struct {
    const pl_tz_t *tz;
    int64_t sum;
} s_thread_arg_t;

static void *s_thread(void *p)
{
    s_thread_arg_t *arg = p;
    for (int64_t t = S_FROM; t < S_TO; t += 7 * 3600) {
        arg->sum += pl_tz_offset(arg->tz, t * PL_USEC_PER_SEC);
        arg->sum += pl_tz_to_utc(arg->tz, t) / PL_USEC_PER_SEC - t;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    pl_tz_t *tz = s_load("Europe/London");
    s_thread_arg_t args[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (s_thread_arg_t){tz, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, s_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    }
    s_thread_arg_t alone = {tz, 0};
    s_thread(&alone);
    for (int i = 0; i < 4; i++) {
        assert_i64_equal(args[i].sum, alone.sum);
    }
    pl_tz_destroy(&tz);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_builtin),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_footer_rules_match_libc),
        cmocka_unit_test(test_footer_overlapping_years),
        cmocka_unit_test(test_footer_parse_errors),
        cmocka_unit_test(test_v1_and_no_transitions),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_tzdir),
        cmocka_unit_test(test_offsets_match_libc),
        cmocka_unit_test(test_offsets_after_table_match_libc),
        cmocka_unit_test(test_to_utc_matches_libc),
        cmocka_unit_test(test_gaps_and_overlaps_examples),
        cmocka_unit_test(test_local_seconds),
        cmocka_unit_test(test_threads),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
