/*
 * Unit tests for config/calendar: durations, the YAML loader and its
 * errors, working days with the real 2026 public holidays and make-up days
 * of China, business hours with a lunch break, year ends, daylight saving
 * (New York, London, Sydney), a 24x7 calendar, the search bound, and
 * property tests over random instants checked against a minute-by-minute
 * oracle that shares no code with the calendar.
 * Run one test with: test_calendar <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/calendar.h"
#include "config/yaml.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define H PL_USEC_PER_HOUR
#define MIN PL_USEC_PER_MIN

/*
 * The public holidays and make-up working days (调休) of China for 2026,
 * copied from /work/shared/data/cn-holidays-2026.yaml (State Council
 * General Office notice of 2025-11-04). These are the lines a user pastes
 * under `holidays:` and `workdays:` (docs/calendar.md).
 */
#define S_CN_2026_HOLIDAYS                                                                         \
    "  holidays:\n"                                                                                \
    "    - \"2026-01-01..2026-01-03\"   # New Year (元旦)\n"                                     \
    "    - \"2026-02-15..2026-02-23\"   # Spring Festival (春节)\n"                              \
    "    - \"2026-04-04..2026-04-06\"   # Qingming (清明节)\n"                                  \
    "    - \"2026-05-01..2026-05-05\"   # Labour Day (劳动节)\n"                                \
    "    - \"2026-06-19..2026-06-21\"   # Dragon Boat Festival (端午节)\n"                      \
    "    - \"2026-09-25..2026-09-27\"   # Mid-Autumn Festival (中秋节)\n"                       \
    "    - \"2026-10-01..2026-10-07\"   # National Day (国庆节)\n"
#define S_CN_2026_WORKDAYS                                                                         \
    "  workdays:\n"                                                                                \
    "    - \"2026-01-04\"   # Sunday\n"                                                            \
    "    - \"2026-02-14\"   # Saturday\n"                                                          \
    "    - \"2026-02-28\"   # Saturday\n"                                                          \
    "    - \"2026-05-09\"   # Saturday\n"                                                          \
    "    - \"2026-09-20\"   # Sunday\n"                                                            \
    "    - \"2026-10-10\"   # Saturday\n"

/* The same data for the oracle, read without the calendar's code. */
static const char *const s_cn_holidays[][2] = {
    {"2026-01-01", "2026-01-03"}, {"2026-02-15", "2026-02-23"}, {"2026-04-04", "2026-04-06"},
    {"2026-05-01", "2026-05-05"}, {"2026-06-19", "2026-06-21"}, {"2026-09-25", "2026-09-27"},
    {"2026-10-01", "2026-10-07"},
};
static const char *const s_cn_workdays[] = {"2026-01-04", "2026-02-14", "2026-02-28",
                                            "2026-05-09", "2026-09-20", "2026-10-10"};

static const char s_cn_yaml[] = "calendar:\n"
                                "  timezone: Asia/Shanghai\n"
                                "  workweek: [mon, tue, wed, thu, fri]\n"
                                "  hours: \"09:00-18:00\"\n" S_CN_2026_HOLIDAYS S_CN_2026_WORKDAYS;

static const char s_lunch_yaml[] =
    "calendar:\n"
    "  timezone: Asia/Shanghai\n"
    "  workweek: [mon, tue, wed, thu, fri]\n"
    "  hours: [\"08:30-12:00\", \"13:30-17:30\"]\n" S_CN_2026_HOLIDAYS S_CN_2026_WORKDAYS;

/* ---------------------------------------------------------------- helpers */

#define assert_i64_equal(a, b)                                                                     \
    do {                                                                                           \
        int64_t a_ = (a), b_ = (b);                                                                \
        if (a_ != b_) {                                                                            \
            fail_msg("%s == %" PRId64 ", expected %s == %" PRId64, #a, a_, #b, b_);                \
        }                                                                                          \
    } while (0)

static pl_usec_t s_at(const char *rfc3339)
{
    pl_usec_t t = 0;
    if (pl_time_parse_rfc3339(rfc3339, &t) != 0) {
        fail_msg("bad time in test: %s", rfc3339);
    }
    return t;
}

static int64_t s_day(const char *date)
{
    int y, m, d;
    if (pl_time_parse_date(date, &y, &m, &d) != 0) {
        fail_msg("bad date in test: %s", date);
    }
    return pl_time_days_from_civil(y, m, d);
}

static const char *s_fmt(pl_usec_t t, char *buf)
{
    if (t == PL_CALENDAR_NEVER) {
        return "NEVER";
    }
    pl_time_format_rfc3339(t, buf, PL_TIME_RFC3339_SIZE);
    return buf;
}

#define assert_time_equal(got, want_rfc3339)                                                       \
    do {                                                                                           \
        pl_usec_t g_ = (got), w_ = s_at(want_rfc3339);                                             \
        if (g_ != w_) {                                                                            \
            char b1_[PL_TIME_RFC3339_SIZE], b2_[PL_TIME_RFC3339_SIZE];                             \
            fail_msg("%s == %s, expected %s", #got, s_fmt(g_, b1_), s_fmt(w_, b2_));               \
        }                                                                                          \
    } while (0)

typedef struct {
    char text[8192];
    int count;
} s_errors_t;

static void s_collect(const pl_err_t *err, void *arg)
{
    s_errors_t *errs = arg;
    char line[1024];
    pl_err_format(err, line, sizeof line);
    size_t used = strlen(errs->text);
    snprintf(errs->text + used, sizeof errs->text - used, "%s\n", line);
    errs->count++;
}

/* Loads the calendars of a YAML text named "t.yaml"; NULL on errors,
 * which go to *errs (may be NULL: then any error fails the test). */
static pl_calendars_t *s_load(const char *yaml, s_errors_t *errs)
{
    s_errors_t local = {.count = 0};
    s_errors_t *e = errs ? errs : &local;
    memset(e, 0, sizeof *e);
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, strlen(yaml), "t.yaml", &err);
    if (!doc) {
        fail_msg("YAML error in test: %s", err.message);
    }
    pl_calendars_t *set = pl_calendars_load_yaml(doc, pl_yaml_doc_root(doc), s_collect, e);
    pl_yaml_doc_destroy(&doc);
    if (!errs && !set) {
        fail_msg("unexpected load errors:\n%s", e->text);
    }
    if (set && e->count) {
        fail_msg("a set came back with errors:\n%s", e->text);
    }
    if (!set && e->count == 0) {
        fail_msg("no set and no error");
    }
    return set;
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

/* xorshift64*: reproducible pseudo-random numbers. */
static uint64_t s_rng = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t s_rand(void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * UINT64_C(2685821657736338717);
}

static int64_t s_rand_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(s_rand() % (uint64_t)(hi - lo + 1));
}

/* ---------------------------------------------------------------- durations */

static void test_duration_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        pl_duration_kind_t kind;
        int64_t amount;
    } cases[] = {
        {"2h", PL_DURATION_REAL, 2 * H},
        {"30m", PL_DURATION_REAL, 30 * MIN},
        {"90s", PL_DURATION_REAL, 90 * PL_USEC_PER_SEC},
        {"1h30m", PL_DURATION_REAL, 90 * MIN},
        {"24h", PL_DURATION_REAL, 24 * H},
        {"2d", PL_DURATION_REAL, 48 * H},
        {"1d2h3m4s", PL_DURATION_REAL, 26 * H + 3 * MIN + 4 * PL_USEC_PER_SEC},
        {"366d", PL_DURATION_REAL, 366 * PL_USEC_PER_DAY},
        {"  2h ", PL_DURATION_REAL, 2 * H},
        {"0h30m", PL_DURATION_REAL, 30 * MIN},
        {"4 business hours", PL_DURATION_BUSINESS, 4 * H},
        {"1 business hour", PL_DURATION_BUSINESS, H},
        {"30 business minutes", PL_DURATION_BUSINESS, 30 * MIN},
        {"1 business minute", PL_DURATION_BUSINESS, MIN},
        {"2000 business hours", PL_DURATION_BUSINESS, 2000 * H},
        {"4  business\thours", PL_DURATION_BUSINESS, 4 * H},
        {"2 working days", PL_DURATION_WORKING_DAYS, 2},
        {"1 working day", PL_DURATION_WORKING_DAYS, 1},
        {"3 business days", PL_DURATION_WORKING_DAYS, 3},
        {"366 working days", PL_DURATION_WORKING_DAYS, 366},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_duration_t d = {0, 0};
        pl_err_t err;
        pl_err_clear(&err);
        if (pl_duration_parse(cases[i].s, &d, &err) != 0) {
            fail_msg("\"%s\": %s", cases[i].s, err.message);
        }
        assert_int_equal(d.kind, cases[i].kind);
        assert_i64_equal(d.amount, cases[i].amount);
    }
}

static void test_duration_parse_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        const char *message; /* a part of the message */
    } cases[] = {
        {"", "is not a duration"},
        {"   ", "is not a duration"},
        {"2", "is not a duration"},
        {"h", "is not a duration"},
        {"2H", "is not a duration"},
        {"2 h", "is not a duration"},
        {"2 hours", "is not a duration"},
        {"1.5h", "is not a duration"},
        {"-2h", "is not a duration"},
        {"+2h", "is not a duration"},
        {"1h1h", "is not a duration"},
        {"30m1h", "is not a duration"},
        {"1h 30m", "is not a duration"},
        {"2w", "is not a duration"},
        {"0h", "must be positive"},
        {"0m0s", "must be positive"},
        {"367d", "at most 366 days"},
        {"9000h", "at most 366 days"},
        {"999999999d", "at most 366 days"},
        {"1234567890h", "is not a duration"},
        {"0 business hours", "must be positive"},
        {"2001 business hours", "at most 2000 business hours"},
        {"4 working hours", "working time is written \"4 business hours\""},
        {"30 working minutes", "\"30 business minutes\""},
        {"0 working days", "must be positive"},
        {"367 working days", "at most 366 working days"},
        {"2 business", "is not a duration"},
        {"business hours", "is not a duration"},
        {"2 business hours please", "is not a duration"},
        {"2 Business Hours", "is not a duration"},
        {"2 calendar days", "is not a duration"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_duration_t d = {PL_DURATION_REAL, 42};
        pl_err_t err;
        pl_err_clear(&err);
        if (pl_duration_parse(cases[i].s, &d, &err) != PL_EINVAL) {
            fail_msg("\"%s\" was accepted", cases[i].s);
        }
        assert_int_equal(err.code, PL_EINVAL);
        if (!strstr(err.message, cases[i].message)) {
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].s, err.message,
                     cases[i].message);
        }
        assert_int_equal(d.kind, PL_DURATION_REAL); /* untouched */
        assert_i64_equal(d.amount, 42);
    }
    pl_duration_t d;
    assert_int_equal(pl_duration_parse(NULL, &d, NULL), PL_EINVAL);
    assert_int_equal(pl_duration_parse("2h", NULL, NULL), PL_EINVAL);
}

static void test_duration_format_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"2h", "2h"},
        {"90m", "1h30m"},
        {"90s", "1m30s"},
        {"2d", "2d"},
        {"1d0h1s", "1d1s"},
        {"4 business hours", "4 business hours"},
        {"1 business hour", "1 business hour"},
        {"90 business minutes", "90 business minutes"},
        {"120 business minutes", "2 business hours"},
        {"1 working day", "1 working day"},
        {"2 business days", "2 working days"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_duration_t d, again;
        char buf[PL_DURATION_FORMAT_SIZE];
        assert_int_equal(pl_duration_parse(cases[i].in, &d, NULL), 0);
        assert_string_equal(pl_duration_format(&d, buf, sizeof buf), cases[i].out);
        assert_int_equal(pl_duration_parse(buf, &again, NULL), 0);
        assert_int_equal(again.kind, d.kind);
        assert_i64_equal(again.amount, d.amount);
    }
    /* Every real duration up to a day, by the minute, round-trips. */
    for (int64_t m = 1; m <= 24 * 60; m++) {
        pl_duration_t d = {PL_DURATION_REAL, m * MIN}, again;
        char buf[PL_DURATION_FORMAT_SIZE];
        pl_duration_format(&d, buf, sizeof buf);
        assert_int_equal(pl_duration_parse(buf, &again, NULL), 0);
        assert_i64_equal(again.amount, d.amount);
    }
    char small[4];
    pl_duration_t d = {PL_DURATION_WORKING_DAYS, 2};
    assert_string_equal(pl_duration_format(&d, small, sizeof small), "2 w");
}

static void test_duration_apply(void **state)
{
    (void)state;
    pl_calendars_t *set = s_load(s_cn_yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    pl_duration_t d;
    pl_usec_t received = s_at("2026-09-30T17:00:00+08:00");
    assert_int_equal(pl_duration_parse("2h", &d, NULL), 0);
    assert_time_equal(pl_duration_apply(&d, cal, received), "2026-09-30T19:00:00+08:00");
    assert_time_equal(pl_duration_apply(&d, NULL, received), "2026-09-30T19:00:00+08:00");
    assert_int_equal(pl_duration_parse("24h", &d, NULL), 0); /* R17: wrong shipments */
    assert_time_equal(pl_duration_apply(&d, cal, received), "2026-10-01T17:00:00+08:00");
    assert_int_equal(pl_duration_parse("4 business hours", &d, NULL), 0);
    assert_time_equal(pl_duration_apply(&d, cal, received), "2026-10-08T12:00:00+08:00");
    assert_i64_equal(pl_duration_apply(&d, NULL, received), PL_CALENDAR_NEVER);
    assert_int_equal(pl_duration_parse("2 working days", &d, NULL), 0); /* R16 */
    assert_time_equal(pl_duration_apply(&d, cal, received), "2026-10-09T18:00:00+08:00");
    assert_i64_equal(pl_duration_apply(&d, NULL, received), PL_CALENDAR_NEVER);
    assert_i64_equal(pl_duration_apply(NULL, cal, received), PL_CALENDAR_NEVER);
    d = (pl_duration_t){PL_DURATION_REAL, H};
    assert_i64_equal(pl_duration_apply(&d, NULL, INT64_MAX - 10), PL_CALENDAR_NEVER);
    d = (pl_duration_t){PL_DURATION_REAL, -H};
    assert_i64_equal(pl_duration_apply(&d, NULL, INT64_MIN + 10), PL_CALENDAR_NEVER);
    d = (pl_duration_t){(pl_duration_kind_t)99, H};
    assert_i64_equal(pl_duration_apply(&d, cal, received), PL_CALENDAR_NEVER);
    pl_calendars_destroy(&set);
}

/* ---------------------------------------------------------------- loading */

static void test_default_calendar(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const char *const texts[] = {"", "calendar:\n", "other: 1\n", "calendars: []\n",
                                        "calendars:\n"};
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        pl_err_t err;
        pl_err_clear(&err);
        pl_yaml_doc_t *doc = pl_yaml_load_buffer(texts[i], strlen(texts[i]), "t.yaml", &err);
        assert_non_null(doc);
        pl_calendars_t *set = pl_calendars_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL);
        pl_yaml_doc_destroy(&doc);
        assert_non_null(set);
        assert_int_equal(pl_calendars_count(set), 1);
        const pl_calendar_t *cal = pl_calendars_get(set, NULL);
        assert_ptr_equal(cal, pl_calendars_get(set, "default"));
        assert_ptr_equal(cal, pl_calendars_at(set, 0));
        assert_null(pl_calendars_at(set, 1));
        assert_null(pl_calendars_get(set, "24x7"));
        assert_string_equal(pl_calendar_id(cal), "default");
        assert_string_equal(pl_tz_name(pl_calendar_tz(cal)), "Asia/Shanghai");
        assert_int_equal(pl_calendar_workweek(cal), 0x1f);
        assert_int_equal(pl_calendar_span_count(cal), 1);
        int a, b;
        pl_calendar_span(cal, 0, &a, &b);
        assert_int_equal(a, 9 * 60);
        assert_int_equal(b, 18 * 60);
        pl_calendar_span(cal, 1, &a, &b);
        assert_int_equal(a + b, 0);
        assert_int_equal(pl_calendar_last_listed_year(cal), 0);
        assert_false(pl_calendar_is_holiday(cal, s_day("2026-10-01")));
        pl_calendars_destroy(&set);
        assert_null(set);
    }
    /* A root that is not a mapping is the config loader's error; here it
     * gives the defaults. */
    pl_calendars_t *set = pl_calendars_load_yaml(NULL, NULL, NULL, NULL);
    assert_non_null(set);
    pl_calendars_destroy(&set);

    pl_err_t err;
    pl_err_clear(&err);
    set = pl_calendars_new_default(&err);
    assert_non_null(set);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    assert_string_equal(pl_calendar_id(cal), "default");
    assert_time_equal(pl_calendar_add_working_days(cal, s_at("2026-03-06T10:00:00+08:00"), 2),
                      "2026-03-10T18:00:00+08:00");
    pl_calendars_destroy(&set);
    pl_calendars_destroy(&set);
    pl_calendars_destroy(NULL);
    assert_null(pl_calendars_get(NULL, NULL));
    assert_int_equal(pl_calendars_count(NULL), 0);
}

static void test_load_full(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const char yaml[] =
        "calendar:\n"
        "  timezone: Asia/Shanghai\n"
        "  workweek: [Mon, tuesday, wed, THU, fri]\n"
        "  hours: [\"13:30-17:30\", \"8:30 - 12:00\"]\n" S_CN_2026_HOLIDAYS S_CN_2026_WORKDAYS
        "calendars:\n"
        "  - id: 24x7\n"
        "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
        "    hours: \"00:00-24:00\"\n"
        "  - id: support-late\n"
        "    extends: default\n"
        "    hours: [\"08:00-12:00\", \"12:00-13:00\", \"13:00-21:00\"]\n"
        "  - id: new-york\n"
        "    timezone: America/New_York\n"
        "    holidays: [\"2026-07-03\", \"2026-12-25\"]\n"
        "  - id: late-no-holidays\n"
        "    extends: support-late\n"
        "    holidays: []\n"
        "  - id: late-null-holidays\n"
        "    extends: support-late\n"
        "    holidays:\n";
    pl_calendars_t *set = s_load(yaml, NULL);
    assert_int_equal(pl_calendars_count(set), 6);
    const pl_calendar_t *def = pl_calendars_get(set, NULL);
    const pl_calendar_t *all = pl_calendars_get(set, "24x7");
    const pl_calendar_t *late = pl_calendars_get(set, "support-late");
    const pl_calendar_t *ny = pl_calendars_get(set, "new-york");
    const pl_calendar_t *bare = pl_calendars_get(set, "late-no-holidays");
    const pl_calendar_t *bare2 = pl_calendars_get(set, "late-null-holidays");
    assert_non_null(all);
    assert_ptr_equal(pl_calendars_at(set, 1), all);
    assert_ptr_equal(pl_calendars_at(set, 5), bare2);
    int a, b;
    /* sorted */
    assert_int_equal(pl_calendar_span_count(def), 2);
    pl_calendar_span(def, 0, &a, &b);
    assert_int_equal(a, 8 * 60 + 30);
    assert_int_equal(b, 12 * 60);
    assert_int_equal(pl_calendar_last_listed_year(def), 2026);
    /* 24x7: built-in defaults for what it does not set, but the default
     * calendar's zone; no holidays (it does not extend). */
    assert_int_equal(pl_calendar_workweek(all), 0x7f);
    assert_string_equal(pl_tz_name(pl_calendar_tz(all)), "Asia/Shanghai");
    assert_ptr_equal(pl_calendar_tz(all), pl_calendar_tz(def)); /* one zone object */
    assert_true(pl_calendar_is_working_day(all, s_day("2026-10-01")));
    assert_int_equal(pl_calendar_last_listed_year(all), 0);
    /* extends: holidays, make-up days, zone and week inherited; touching
     * spans merged into one. */
    assert_int_equal(pl_calendar_span_count(late), 1);
    pl_calendar_span(late, 0, &a, &b);
    assert_int_equal(a, 8 * 60);
    assert_int_equal(b, 21 * 60);
    assert_false(pl_calendar_is_working_day(late, s_day("2026-10-01")));
    assert_true(pl_calendar_is_working_day(late, s_day("2026-10-10")));
    assert_true(pl_calendar_is_makeup_day(late, s_day("2026-10-10")));
    assert_int_equal(pl_calendar_workweek(late), 0x1f);
    /* not extending: the default's zone is not taken when set */
    assert_string_equal(pl_tz_name(pl_calendar_tz(ny)), "America/New_York");
    assert_int_equal(pl_calendar_span_count(ny), 1);
    assert_false(pl_calendar_is_working_day(ny, s_day("2026-07-03")));
    assert_true(pl_calendar_is_working_day(ny, s_day("2026-10-01")));
    /* an explicit empty list replaces the parent's */
    assert_true(pl_calendar_is_working_day(bare, s_day("2026-10-01")));
    assert_true(pl_calendar_is_working_day(bare2, s_day("2026-10-01")));
    assert_true(pl_calendar_is_working_day(bare, s_day("2026-10-10"))); /* still make-up */
    assert_int_equal(pl_calendar_span_count(bare), 1);
    pl_calendars_destroy(&set);
}

typedef struct {
    const char *yaml;
    const char *error; /* the first error, whole or a part ("t.yaml:3:5: ...") */
} s_error_case_t;

static const s_error_case_t s_error_cases[] = {
    /* shapes */
    {"calendar: [1]\n", "t.yaml:1:11: calendar: expected a mapping of calendar settings"},
    {"calendar: 3\n", "t.yaml:1:11: calendar: expected a mapping"},
    {"calendar:\n  timezon: UTC\n",
     "t.yaml:2:3: calendar: unknown key \"timezon\"; expected timezone, workweek, hours, "
     "holidays, workdays"},
    {"calendar:\n  id: main\n", "t.yaml:2:3: calendar: id is only for the calendars listed"},
    {"calendar:\n  extends: default\n", "t.yaml:2:3: calendar: extends is only for"},
    {"calendars: {id: a}\n", "t.yaml:1:12: calendars: expected a list of calendars"},
    {"calendars: [a]\n", "t.yaml:1:13: calendars[1]: expected a mapping with an id"},
    {"calendars:\n  - hours: \"09:00-17:00\"\n", "t.yaml:2:5: calendars[1]: missing id"},
    {"calendars:\n  - id: \"a b\"\n", "t.yaml:2:9: calendars[1].id: \"a b\" is not an id"},
    {"calendars:\n  - id: [x]\n", "t.yaml:2:9: calendars[1].id: expected a string"},
    {"calendars:\n  - id: default\n",
     "t.yaml:2:9: calendars[1].id: \"default\" is used twice (\"default\" is the calendar"},
    {"calendars:\n  - id: a\n  - id: a\n", "t.yaml:3:9: calendars[2].id: \"a\" is used twice"},
    {"calendars:\n  - id: a\n    extends: b\n  - id: b\n",
     "t.yaml:3:14: calendars[a].extends: unknown calendar \"b\"; a calendar can extend "
     "\"default\" or one listed before it"},
    {"calendars:\n  - id: a\n    extends: a\n", "t.yaml:3:14: calendars[a].extends: unknown"},
    {"calendars:\n  - id: a\n    colour: red\n",
     "t.yaml:3:5: calendars[a]: unknown key \"colour\"; expected id, extends, timezone"},
    /* timezone */
    {"calendar:\n  timezone: Mars/Olympus_Mons\n",
     "t.yaml:2:13: calendar.timezone: unknown time zone Mars/Olympus_Mons (not found in"},
    {"calendar:\n  timezone: ../../etc/passwd\n",
     "t.yaml:2:13: calendar.timezone: \"../../etc/passwd\" is not an IANA time zone name"},
    {"calendar:\n  timezone:\n", "t.yaml:2:12: calendar.timezone: expected a string"},
    /* workweek */
    {"calendar:\n  workweek: [mon, tues]\n",
     "t.yaml:2:19: calendar.workweek: \"tues\" is not a day; write mon, tue, wed, thu, fri, sat "
     "or sun"},
    {"calendar:\n  workweek: [mon, mon]\n", "t.yaml:2:19: calendar.workweek: mon is listed twice"},
    {"calendar:\n  workweek: [mon, Monday]\n", "t.yaml:2:19: calendar.workweek: mon is listed"},
    {"calendar:\n  workweek: []\n",
     "t.yaml:2:13: calendar.workweek: needs at least one working day"},
    {"calendar:\n  workweek: mon-fri\n",
     "t.yaml:2:13: calendar.workweek: expected a list of day names such as [mon, tue, wed, thu, "
     "fri], found \"mon-fri\""},
    {"calendar:\n  workweek: [[mon]]\n", "t.yaml:2:14: calendar.workweek: a sequence is not a day"},
    /* hours */
    {"calendar:\n  hours: \"18:00-09:00\"\n",
     "t.yaml:2:10: calendar.hours: \"18:00-09:00\" ends before it starts; a span cannot cross "
     "midnight"},
    {"calendar:\n  hours: \"09:00-09:00\"\n",
     "t.yaml:2:10: calendar.hours: \"09:00-09:00\" is empty"},
    {"calendar:\n  hours: \"25:00-26:00\"\n",
     "t.yaml:2:10: calendar.hours: \"25:00-26:00\" is not a span of working hours such as "
     "\"09:00-18:00\" (times from 00:00 to 24:00)"},
    {"calendar:\n  hours: \"09:00-24:30\"\n",
     "t.yaml:2:10: calendar.hours: \"09:00-24:30\" is not a span"},
    {"calendar:\n  hours: \"09:60-10:00\"\n",
     "t.yaml:2:10: calendar.hours: \"09:60-10:00\" is not a span"},
    {"calendar:\n  hours: \"9-18\"\n", "t.yaml:2:10: calendar.hours: \"9-18\" is not a span"},
    {"calendar:\n  hours: \"09:00-18:00x\"\n", "is not a span"},
    {"calendar:\n  hours: \"009:00-18:00\"\n", "is not a span"},
    {"calendar:\n  hours: \"24:00-24:00\"\n", "\"24:00-24:00\" is empty"},
    {"calendar:\n  hours: []\n", "t.yaml:2:10: calendar.hours: needs at least one span"},
    {"calendar:\n  hours: [\"08:00-12:00\", \"11:00-13:00\"]\n",
     "t.yaml:2:26: calendar.hours: \"11:00-13:00\" overlaps \"08:00-12:00\""},
    {"calendar:\n  hours: [\"11:00-13:00\", \"08:00-12:00\"]\n",
     "t.yaml:2:11: calendar.hours: \"11:00-13:00\" overlaps \"08:00-12:00\""},
    {"calendar:\n  hours: [\"09:00-10:00\", \"09:00-12:00\"]\n", "overlaps"},
    {"calendar:\n  hours: {from: 9}\n", "t.yaml:2:10: calendar.hours: a mapping is not a span"},
    /* dates */
    {"calendar:\n  holidays: [\"2026-02-30\"]\n",
     "t.yaml:2:14: calendar.holidays: \"2026-02-30\" is not a date \"YYYY-MM-DD\" or a range "
     "\"YYYY-MM-DD..YYYY-MM-DD\" of real dates"},
    {"calendar:\n  holidays: [\"2026/10/01\"]\n",
     "t.yaml:2:14: calendar.holidays: \"2026/10/01\" is not a date"},
    {"calendar:\n  holidays: [\"2026-10-01..\"]\n", "is not a date"},
    {"calendar:\n  holidays: [\"2026-10-01...2026-10-03\"]\n", "is not a date"},
    {"calendar:\n  holidays: [\"2026-10-07..2026-10-01\"]\n",
     "t.yaml:2:14: calendar.holidays: \"2026-10-07..2026-10-01\" ends before it starts"},
    {"calendar:\n  holidays: [\"2026-10-01..2027-10-07\"]\n",
     "t.yaml:2:14: calendar.holidays: \"2026-10-01..2027-10-07\" is longer than 92 days; is a "
     "year or a month mistyped?"},
    {"calendar:\n  holidays: [\"2026-10-01..2026-10-07\", \"2026-10-05\"]\n",
     "t.yaml:2:40: calendar.holidays: 2026-10-05 overlaps 2026-10-01..2026-10-07 (line 2)"},
    {"calendar:\n  holidays:\n    - \"2026-10-05\"\n    - \"2026-10-01..2026-10-07\"\n",
     "t.yaml:4:7: calendar.holidays: 2026-10-01..2026-10-07 overlaps 2026-10-05 (line 3)"},
    {"calendar:\n  holidays: 2026-10-01\n",
     "t.yaml:2:13: calendar.holidays: expected a list of dates such as"},
    {"calendar:\n  holidays: [{date: 2026-10-01}]\n", "calendar.holidays: a mapping is not a date"},
    {"calendar:\n  workdays: [\"2026-13-01\"]\n",
     "t.yaml:2:14: calendar.workdays: \"2026-13-01\" is not a date"},
    /* make-up days that cannot be right */
    {"calendar:\n  workdays: [\"2026-10-09\"]\n",
     "t.yaml:2:14: calendar.workdays: 2026-10-09 is a Friday, already a working day; list here "
     "only rest days that are worked (make-up days, 调休), usually a Saturday or Sunday"},
    {"calendar:\n  workdays: [\"2026-10-10..2026-10-12\"]\n",
     "calendar.workdays: 2026-10-12 is a Monday, already a working day"},
    {"calendar:\n  holidays: [\"2026-10-01..2026-10-07\"]\n  workdays: [\"2026-10-03\"]\n",
     "t.yaml:3:14: calendar.workdays: 2026-10-03 is both a holiday (2026-10-01..2026-10-07, "
     "line 2) and a make-up working day (line 3)"},
    {"calendar:\n  workweek: [sat]\n  workdays: [\"2026-10-10\"]\n",
     "calendar.workdays: 2026-10-10 is a Saturday, already a working day"},
    /* inherited make-up day meets a holiday of the child: reported there */
    {"calendar:\n  workdays: [\"2026-10-10\"]\ncalendars:\n  - id: a\n    extends: default\n"
     "    holidays: [\"2026-10-10\"]\n",
     "t.yaml:6:16: calendars[a].holidays: 2026-10-10 is both a holiday (2026-10-10, line 6) and "
     "a make-up working day (line 2)"},
    /* rest days without end */
    {"calendar:\n  holidays: [\"2026-01-01..2026-03-31\", \"2026-04-01..2026-04-30\"]\n",
     "t.yaml:2:14: calendar.holidays: no working day for more than 92 days from 2026-01-01; "
     "check the holidays and the workweek"},
    {"calendar:\n  workweek: [mon]\n  holidays: [\"2026-01-05..2026-03-31\", "
     "\"2026-04-06..2026-04-30\"]\n",
     "calendar.holidays: no working day for more than 92 days from 2025-12-30"},
};

static void test_load_errors(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    for (size_t i = 0; i < ARRAY_SIZE(s_error_cases); i++) {
        s_errors_t errs;
        pl_calendars_t *set = s_load(s_error_cases[i].yaml, &errs);
        if (set) {
            fail_msg("case %zu loaded:\n%s", i, s_error_cases[i].yaml);
        }
        const char *want = s_error_cases[i].error;
        bool whole_prefix = strncmp(want, "t.yaml:", 7) == 0;
        if (whole_prefix ? strncmp(errs.text, want, strlen(want)) != 0 : !strstr(errs.text, want)) {
            fail_msg("case %zu:\n%sgave:\n%s\nexpected%s:\n%s", i, s_error_cases[i].yaml, errs.text,
                     whole_prefix ? " to start with" : " to contain", want);
        }
    }
}

/* One run reports every mistake, in every calendar. */
static void test_load_reports_all_errors(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const char yaml[] = "calendar:\n"
                               "  workweek: [mon, funday]\n"
                               "  hours: \"18:00-09:00\"\n"
                               "  holidays: [\"2026-02-30\"]\n"
                               "calendars:\n"
                               "  - id: x\n"
                               "    timezone: Nowhere/City\n"
                               "  - id: x\n"
                               "  - hours: \"25:00-26:00\"\n";
    s_errors_t errs;
    assert_null(s_load(yaml, &errs));
    assert_int_equal(errs.count, 7); /* line 9: no id, and a bad span */
    static const char *const lines[] = {
        "t.yaml:2:", "t.yaml:3:", "t.yaml:4:", "t.yaml:7:", "t.yaml:8:", "t.yaml:9:"};
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        assert_non_null(strstr(errs.text, lines[i]));
    }
    /* NULL report: the set is still refused. */
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, strlen(yaml), "t.yaml", NULL);
    assert_null(pl_calendars_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL));
    pl_yaml_doc_destroy(&doc);
}

static void test_load_limits(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    /* 64 calendars are fine, 65 are not. */
    char *yaml = malloc(65536);
    for (int n = 63; n <= 64; n++) {
        size_t used = (size_t)snprintf(yaml, 65536, "calendars:\n");
        for (int i = 0; i < n; i++) {
            used += (size_t)snprintf(yaml + used, 65536 - used, "  - id: c%d\n", i);
        }
        s_errors_t errs;
        pl_calendars_t *set = s_load(yaml, n == 63 ? NULL : &errs);
        if (n == 63) {
            assert_int_equal(pl_calendars_count(set), 64);
            pl_calendars_destroy(&set);
        } else {
            assert_non_null(strstr(errs.text, "calendars: at most 63 calendars"));
        }
    }
    /* 16 spans are fine, 17 are not. */
    for (int n = 16; n <= 17; n++) {
        size_t used = (size_t)snprintf(yaml, 65536, "calendar:\n  hours: [");
        for (int i = 0; i < n; i++) {
            used += (size_t)snprintf(yaml + used, 65536 - used, "%s\"%02d:00-%02d:30\"",
                                     i ? ", " : "", i, i);
        }
        snprintf(yaml + used, 65536 - used, "]\n");
        s_errors_t errs;
        pl_calendars_t *set = s_load(yaml, n == 16 ? NULL : &errs);
        if (n == 16) {
            assert_int_equal(pl_calendar_span_count(pl_calendars_get(set, NULL)), 16);
            pl_calendars_destroy(&set);
        } else {
            assert_non_null(strstr(errs.text, "calendar.hours: at most 16 spans"));
        }
    }
    free(yaml);
}

/* ---------------------------------------------------------------- China 2026 */

/* The oracle's working day: straight from the arrays above (their day
 * numbers are computed once: the minute oracle asks a million times). */
static bool s_cn_working_day(int64_t day)
{
    static int64_t holidays[ARRAY_SIZE(s_cn_holidays)][2];
    static int64_t workdays[ARRAY_SIZE(s_cn_workdays)];
    static bool ready = false;
    if (!ready) {
        for (size_t i = 0; i < ARRAY_SIZE(s_cn_holidays); i++) {
            holidays[i][0] = s_day(s_cn_holidays[i][0]);
            holidays[i][1] = s_day(s_cn_holidays[i][1]);
        }
        for (size_t i = 0; i < ARRAY_SIZE(s_cn_workdays); i++) {
            workdays[i] = s_day(s_cn_workdays[i]);
        }
        ready = true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(s_cn_holidays); i++) {
        if (day >= holidays[i][0] && day <= holidays[i][1]) {
            return false;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(s_cn_workdays); i++) {
        if (day == workdays[i]) {
            return true;
        }
    }
    int64_t y;
    int m, d;
    pl_time_civil_from_days(day, &y, &m, &d);
    struct tm tm = {.tm_year = (int)y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_wday >= 1 && back.tm_wday <= 5;
}

static void test_cn_2026_working_days(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    pl_calendars_t *set = s_load(s_cn_yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    int working = 0;
    for (int64_t day = s_day("2026-01-01"); day <= s_day("2026-12-31"); day++) {
        bool want = s_cn_working_day(day);
        if (pl_calendar_is_working_day(cal, day) != want) {
            char date[16];
            int64_t y;
            int m, d;
            pl_time_civil_from_days(day, &y, &m, &d);
            snprintf(date, sizeof date, "%04d-%02d-%02d", (int)y, m, d);
            fail_msg("%s: expected %s", date, want ? "a working day" : "a rest day");
        }
        working += want;
    }
    /* 261 weekdays - 19 holidays on weekdays + 6 make-up days */
    assert_int_equal(working, 248);
    assert_true(pl_calendar_is_working_day(cal, s_day("2026-01-04")));  /* Sunday, make-up */
    assert_true(pl_calendar_is_working_day(cal, s_day("2026-10-10")));  /* Saturday, make-up */
    assert_false(pl_calendar_is_working_day(cal, s_day("2026-10-03"))); /* Saturday in holiday */
    assert_false(pl_calendar_is_working_day(cal, s_day("2026-02-23"))); /* Monday in holiday */
    assert_false(pl_calendar_is_working_day(cal, s_day("2026-10-11"))); /* plain Sunday */
    assert_true(pl_calendar_is_holiday(cal, s_day("2026-02-23")));
    assert_false(pl_calendar_is_holiday(cal, s_day("2026-02-24")));
    assert_true(pl_calendar_is_makeup_day(cal, s_day("2026-09-20")));
    assert_false(pl_calendar_is_makeup_day(cal, s_day("2026-09-19")));
    assert_int_equal(pl_calendar_weekday(s_day("1970-01-01")), 3);
    assert_int_equal(pl_calendar_weekday(s_day("2026-10-10")), 5);
    assert_int_equal(pl_calendar_weekday(s_day("1969-12-28")), 6);
    assert_int_equal(pl_calendar_last_listed_year(cal), 2026);
    /* Local days: Beijing midnight is 16:00Z the day before. */
    assert_i64_equal(pl_calendar_local_day(cal, s_at("2026-09-30T16:00:00Z")), s_day("2026-10-01"));
    assert_i64_equal(pl_calendar_local_day(cal, s_at("2026-09-30T15:59:59.999999Z")),
                     s_day("2026-09-30"));
    pl_calendars_destroy(&set);
}

/* R16: "within 2 working days", with the real calendar. */
static void test_cn_2026_working_day_deadlines(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const struct {
        const char *received;
        int days;
        const char *due;
    } cases[] = {
        /* the brief's example: Wednesday before National Day */
        {"2026-09-30T17:00:00+08:00", 1, "2026-10-08T18:00:00+08:00"},
        {"2026-09-30T17:00:00+08:00", 2, "2026-10-09T18:00:00+08:00"},
        {"2026-09-30T17:00:00+08:00", 3, "2026-10-10T18:00:00+08:00"}, /* make-up Saturday */
        {"2026-09-30T17:00:00+08:00", 4, "2026-10-12T18:00:00+08:00"},
        {"2026-09-30T08:00:00+08:00", 2, "2026-10-09T18:00:00+08:00"}, /* before opening */
        {"2026-10-03T11:00:00+08:00", 1, "2026-10-08T18:00:00+08:00"}, /* during the holiday */
        {"2026-10-07T23:59:59+08:00", 1, "2026-10-08T18:00:00+08:00"},
        {"2026-10-09T10:00:00+08:00", 1, "2026-10-10T18:00:00+08:00"}, /* Friday -> Saturday */
        {"2026-10-10T10:00:00+08:00", 1, "2026-10-12T18:00:00+08:00"}, /* on a make-up day */
        /* Spring Festival: make-up Saturdays 02-14 and 02-28 */
        {"2026-02-13T10:00:00+08:00", 1, "2026-02-14T18:00:00+08:00"},
        {"2026-02-13T10:00:00+08:00", 2, "2026-02-24T18:00:00+08:00"},
        {"2026-02-13T10:00:00+08:00", 5, "2026-02-27T18:00:00+08:00"},
        {"2026-02-13T10:00:00+08:00", 6, "2026-02-28T18:00:00+08:00"},
        {"2026-02-13T10:00:00+08:00", 7, "2026-03-02T18:00:00+08:00"},
        {"2026-02-14T09:30:00+08:00", 1, "2026-02-24T18:00:00+08:00"},
        /* Mid-Autumn: the make-up Sunday 09-20 comes before the holiday */
        {"2026-09-18T12:00:00+08:00", 1, "2026-09-20T18:00:00+08:00"},
        {"2026-09-18T12:00:00+08:00", 5, "2026-09-24T18:00:00+08:00"},
        {"2026-09-18T12:00:00+08:00", 6, "2026-09-28T18:00:00+08:00"},
        /* Labour Day: make-up Saturday 05-09 after it */
        {"2026-04-30T17:00:00+08:00", 1, "2026-05-06T18:00:00+08:00"},
        {"2026-04-30T17:00:00+08:00", 4, "2026-05-09T18:00:00+08:00"},
        {"2026-06-18T09:00:00+08:00", 1, "2026-06-22T18:00:00+08:00"}, /* Dragon Boat */
        /* plain weeks: the day of receipt never counts */
        {"2026-03-06T10:00:00+08:00", 2, "2026-03-10T18:00:00+08:00"}, /* Fri -> Tue */
        {"2026-03-07T10:00:00+08:00", 2, "2026-03-10T18:00:00+08:00"}, /* Sat -> Tue */
        {"2026-03-08T23:59:59+08:00", 2, "2026-03-10T18:00:00+08:00"}, /* Sun -> Tue */
        {"2026-03-05T23:59:59+08:00", 2, "2026-03-09T18:00:00+08:00"}, /* Thu -> Mon */
        {"2026-03-09T00:00:00+08:00", 2, "2026-03-11T18:00:00+08:00"}, /* Mon 00:00 -> Wed */
        {"2026-03-08T16:00:00Z", 2, "2026-03-11T18:00:00+08:00"},      /* same instant */
        /* year ends: New Year 2026 with the make-up Sunday 01-04 */
        {"2025-12-31T17:00:00+08:00", 1, "2026-01-04T18:00:00+08:00"},
        {"2025-12-31T17:00:00+08:00", 2, "2026-01-05T18:00:00+08:00"},
        {"2025-12-30T17:00:00+08:00", 1, "2025-12-31T18:00:00+08:00"},
        /* 2027 is not in the file yet: 2027-01-01 (a Friday) counts as a
         * working day until next year's notice is added (docs/calendar.md). */
        {"2026-12-31T17:00:00+08:00", 1, "2027-01-01T18:00:00+08:00"},
        {"2026-12-31T17:00:00+08:00", 2, "2027-01-04T18:00:00+08:00"},
        /* many */
        {"2026-01-01T00:00:00+08:00", 248, "2026-12-31T18:00:00+08:00"},
    };
    pl_calendars_t *set = s_load(s_cn_yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_usec_t got = pl_calendar_add_working_days(cal, s_at(cases[i].received), cases[i].days);
        if (got != s_at(cases[i].due)) {
            char buf[PL_TIME_RFC3339_SIZE], want[PL_TIME_RFC3339_SIZE];
            fail_msg("%s + %d working days: %s, expected %s", cases[i].received, cases[i].days,
                     s_fmt(got, buf), s_fmt(s_at(cases[i].due), want));
        }
    }
    pl_usec_t t = s_at("2026-03-06T10:00:00+08:00");
    assert_i64_equal(pl_calendar_add_working_days(cal, t, 0), t);
    assert_i64_equal(pl_calendar_add_working_days(cal, t, -3), t);
    pl_calendars_destroy(&set);

    /* With next year's New Year holiday added (dates for illustration, not
     * an official notice): 2027-01-01..03 off, so Monday 01-04. */
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s    - \"2027-01-01..2027-01-03\"\n", s_cn_yaml);
    /* s_cn_yaml ends with workdays; put the 2027 range under holidays instead. */
    snprintf(yaml, sizeof yaml,
             "calendar:\n  timezone: Asia/Shanghai\n  hours: \"09:00-18:00\"\n" S_CN_2026_HOLIDAYS
             "    - \"2027-01-01..2027-01-03\"\n" S_CN_2026_WORKDAYS);
    set = s_load(yaml, NULL);
    cal = pl_calendars_get(set, NULL);
    assert_time_equal(pl_calendar_add_working_days(cal, s_at("2026-12-31T17:00:00+08:00"), 1),
                      "2027-01-04T18:00:00+08:00");
    assert_int_equal(pl_calendar_last_listed_year(cal), 2027);
    pl_calendars_destroy(&set);
}

/* Two spans a day, lunch 12:00-13:30. */
static void test_business_hours_lunch_break(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const struct {
        const char *start;
        int64_t amount;
        const char *due;
    } cases[] = {
        /* 1 h before lunch (11:00-12:00), 3 h after (13:30-16:30) */
        {"2026-03-09T11:00:00+08:00", 4 * H, "2026-03-09T16:30:00+08:00"},
        {"2026-03-09T10:00:00+08:00", 4 * H, "2026-03-09T15:30:00+08:00"},
        {"2026-03-09T12:30:00+08:00", H, "2026-03-09T14:30:00+08:00"}, /* at lunch */
        {"2026-03-09T07:00:00+08:00", H, "2026-03-09T09:30:00+08:00"}, /* before opening */
        {"2026-03-09T08:30:00+08:00", 3 * H + 30 * MIN, "2026-03-09T12:00:00+08:00"}, /* close */
        {"2026-03-09T16:30:00+08:00", H, "2026-03-09T17:30:00+08:00"}, /* close of day */
        {"2026-03-09T17:00:00+08:00", H, "2026-03-10T09:00:00+08:00"}, /* overnight */
        {"2026-03-09T11:45:00+08:00", 30 * MIN, "2026-03-09T13:45:00+08:00"},
        {"2026-03-09T11:00:00+08:00", 15 * MIN, "2026-03-09T11:15:00+08:00"},
        {"2026-03-13T17:00:00+08:00", H, "2026-03-16T09:00:00+08:00"},      /* Fri -> Mon */
        {"2026-03-14T10:00:00+08:00", H, "2026-03-16T09:30:00+08:00"},      /* Saturday */
        {"2026-03-09T08:30:00+08:00", 14 * H, "2026-03-10T16:30:00+08:00"}, /* 7.5 h a day */
        {"2026-03-09T08:30:00+08:00", 15 * H, "2026-03-10T17:30:00+08:00"},
        {"2026-09-30T16:30:00+08:00", 2 * H, "2026-10-08T09:30:00+08:00"}, /* National Day */
        {"2026-09-18T17:00:00+08:00", H, "2026-09-20T09:00:00+08:00"},     /* make-up Sunday */
        {"2026-10-09T17:00:00+08:00", H, "2026-10-10T09:00:00+08:00"},     /* make-up Saturday */
        {"2026-02-13T17:00:00+08:00", 8 * H, "2026-02-14T17:30:00+08:00"}, /* make-up Saturday */
        {"2026-02-13T17:00:00+08:00", 9 * H, "2026-02-24T09:30:00+08:00"}, /* Spring Festival */
        {"2025-12-31T17:00:00+08:00", H, "2026-01-04T09:00:00+08:00"},     /* year end */
        {"2026-03-09T11:00:00.000001+08:00", 4 * H, "2026-03-09T16:30:00.000001+08:00"},
    };
    pl_calendars_t *set = s_load(s_lunch_yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        pl_usec_t start = s_at(cases[i].start);
        pl_usec_t got = pl_calendar_add_business(cal, start, cases[i].amount);
        if (got != s_at(cases[i].due)) {
            char buf[PL_TIME_RFC3339_SIZE], want[PL_TIME_RFC3339_SIZE];
            fail_msg("%s + %" PRId64 " min: %s, expected %s", cases[i].start, cases[i].amount / MIN,
                     s_fmt(got, buf), s_fmt(s_at(cases[i].due), want));
        }
        /* and back: the working time in between is the amount */
        assert_i64_equal(pl_calendar_business_between(cal, start, got), cases[i].amount);
    }
    pl_usec_t t = s_at("2026-03-09T11:00:00+08:00");
    assert_i64_equal(pl_calendar_add_business(cal, t, 0), t);
    assert_i64_equal(pl_calendar_add_business(cal, t, -H), t);
    assert_i64_equal(pl_calendar_business_between(cal, s_at("2026-03-13T17:00:00+08:00"),
                                                  s_at("2026-03-16T09:00:00+08:00")),
                     H);
    assert_i64_equal(pl_calendar_business_between(cal, t, t), 0);
    assert_i64_equal(pl_calendar_business_between(cal, t + H, t), 0);
    /* a whole week: 5 x 7.5 h */
    assert_i64_equal(pl_calendar_business_between(cal, s_at("2026-03-09T00:00:00+08:00"),
                                                  s_at("2026-03-16T00:00:00+08:00")),
                     5 * (7 * H + 30 * MIN));
    /* the week of National Day: Oct 8, 9 and the make-up Saturday 10 */
    assert_i64_equal(pl_calendar_business_between(cal, s_at("2026-10-05T00:00:00+08:00"),
                                                  s_at("2026-10-12T00:00:00+08:00")),
                     3 * (7 * H + 30 * MIN));

    static const struct {
        const char *t;
        bool working;
    } at[] = {
        {"2026-03-09T08:29:59.999999+08:00", false}, {"2026-03-09T08:30:00+08:00", true},
        {"2026-03-09T11:59:59.999999+08:00", true},  {"2026-03-09T12:00:00+08:00", false},
        {"2026-03-09T13:29:59+08:00", false},        {"2026-03-09T13:30:00+08:00", true},
        {"2026-03-09T17:30:00+08:00", false},        {"2026-03-14T10:00:00+08:00", false},
        {"2026-10-01T10:00:00+08:00", false},        {"2026-10-10T10:00:00+08:00", true},
        {"2026-01-04T10:00:00+08:00", true},         {"2026-01-02T10:00:00+08:00", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(at); i++) {
        if (pl_calendar_is_working_time(cal, s_at(at[i].t)) != at[i].working) {
            fail_msg("%s: expected %s", at[i].t, at[i].working ? "working time" : "not");
        }
    }
    assert_time_equal(pl_calendar_next_working_time(cal, s_at("2026-03-09T12:15:00+08:00")),
                      "2026-03-09T13:30:00+08:00");
    assert_time_equal(pl_calendar_next_working_time(cal, s_at("2026-03-09T10:00:00+08:00")),
                      "2026-03-09T10:00:00+08:00");
    assert_time_equal(pl_calendar_next_working_time(cal, s_at("2026-09-30T17:30:00+08:00")),
                      "2026-10-08T08:30:00+08:00");
    /* "close of business" of a working day is the end of the last span */
    assert_time_equal(pl_calendar_add_working_days(cal, s_at("2026-03-09T11:00:00+08:00"), 1),
                      "2026-03-10T17:30:00+08:00");
    pl_calendars_destroy(&set);
}

/* ---------------------------------------------------------------- daylight saving */

static void test_new_york_dst(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const char yaml[] = "calendar:\n"
                               "  timezone: America/New_York\n"
                               "  hours: \"09:00-17:00\"\n"
                               "calendars:\n"
                               "  - id: 24x7\n"
                               "    extends: default\n"
                               "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
                               "    hours: \"00:00-24:00\"\n"
                               "  - id: night\n"
                               "    extends: 24x7\n"
                               "    hours: \"01:00-04:00\"\n"
                               "  - id: in-the-gap\n"
                               "    extends: 24x7\n"
                               "    hours: \"02:15-02:45\"\n";
    pl_calendars_t *set = s_load(yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    const pl_calendar_t *all = pl_calendars_get(set, "24x7");
    const pl_calendar_t *night = pl_calendars_get(set, "night");
    const pl_calendar_t *gap = pl_calendars_get(set, "in-the-gap");

    /* Spring forward, Sunday 2026-03-08 02:00 EST -> 03:00 EDT: 9-17 on
     * Friday and Monday keep their wall-clock hours. */
    assert_time_equal(pl_calendar_add_business(cal, s_at("2026-03-06T16:00:00-05:00"), 2 * H),
                      "2026-03-09T10:00:00-04:00");
    assert_i64_equal(pl_calendar_business_between(cal, s_at("2026-03-06T09:00:00-05:00"),
                                                  s_at("2026-03-09T17:00:00-04:00")),
                     16 * H);
    assert_time_equal(pl_calendar_add_working_days(cal, s_at("2026-03-06T10:00:00-05:00"), 1),
                      "2026-03-09T17:00:00-04:00");
    assert_time_equal(pl_calendar_add_working_days(cal, s_at("2026-03-08T03:30:00-04:00"), 1),
                      "2026-03-09T17:00:00-04:00");
    assert_time_equal(pl_calendar_next_working_time(cal, s_at("2026-03-07T12:00:00-05:00")),
                      "2026-03-09T09:00:00-04:00");
    /* Fall back, Sunday 2026-11-01 02:00 EDT -> 01:00 EST. */
    assert_time_equal(pl_calendar_add_business(cal, s_at("2026-10-30T16:00:00-04:00"), 2 * H),
                      "2026-11-02T10:00:00-05:00");
    assert_time_equal(pl_calendar_add_working_days(cal, s_at("2026-10-30T16:00:00-04:00"), 1),
                      "2026-11-02T17:00:00-05:00");

    /* 24x7: business time is elapsed time; the spring Sunday has 23 hours,
     * the autumn one 25. */
    assert_time_equal(pl_calendar_add_business(all, s_at("2026-03-07T12:00:00-05:00"), 24 * H),
                      "2026-03-08T13:00:00-04:00");
    assert_i64_equal(pl_calendar_business_between(all, s_at("2026-03-08T00:00:00-05:00"),
                                                  s_at("2026-03-09T00:00:00-04:00")),
                     23 * H);
    assert_i64_equal(pl_calendar_business_between(all, s_at("2026-11-01T00:00:00-04:00"),
                                                  s_at("2026-11-02T00:00:00-05:00")),
                     25 * H);
    assert_time_equal(pl_calendar_add_working_days(all, s_at("2026-03-07T10:00:00-05:00"), 1),
                      "2026-03-09T00:00:00-04:00");
    assert_true(pl_calendar_is_working_time(all, s_at("2026-03-08T07:00:00Z")));

    /* A span across the change: 01:00-04:00 is 2 real hours in spring and
     * 4 in autumn (01:00 EDT to 04:00 EST). */
    assert_i64_equal(pl_calendar_business_between(night, s_at("2026-03-08T00:00:00-05:00"),
                                                  s_at("2026-03-09T00:00:00-04:00")),
                     2 * H);
    assert_i64_equal(pl_calendar_business_between(night, s_at("2026-11-01T00:00:00-04:00"),
                                                  s_at("2026-11-02T00:00:00-05:00")),
                     4 * H);
    /* The second 01:30 of the autumn night is inside the span too. */
    assert_true(pl_calendar_is_working_time(night, s_at("2026-11-01T01:30:00-05:00")));
    assert_true(pl_calendar_is_working_time(night, s_at("2026-11-01T01:30:00-04:00")));
    assert_false(pl_calendar_is_working_time(night, s_at("2026-11-01T04:00:00-05:00")));

    /* A span wholly inside the gap does not exist that night. */
    assert_i64_equal(pl_calendar_business_between(gap, s_at("2026-03-08T00:00:00-05:00"),
                                                  s_at("2026-03-09T00:00:00-04:00")),
                     0);
    assert_false(pl_calendar_is_working_time(gap, s_at("2026-03-08T07:00:00Z")));
    assert_time_equal(pl_calendar_add_business(gap, s_at("2026-03-07T12:00:00-05:00"), 10 * MIN),
                      "2026-03-09T02:25:00-04:00");
    assert_time_equal(pl_calendar_next_working_time(gap, s_at("2026-03-08T00:00:00-05:00")),
                      "2026-03-09T02:15:00-04:00");
    /* ...and its working day closes at the end of the gap. */
    assert_time_equal(pl_calendar_add_working_days(gap, s_at("2026-03-07T12:00:00-05:00"), 1),
                      "2026-03-08T03:00:00-04:00");
    pl_calendars_destroy(&set);
}

static void test_london_and_sydney(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const char yaml[] = "calendar:\n"
                               "  timezone: Europe/London\n"
                               "  workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
                               "  hours: \"00:30-02:00\"\n"
                               "calendars:\n"
                               "  - id: sydney\n"
                               "    timezone: Australia/Sydney\n"
                               "    hours: \"09:00-17:00\"\n"
                               "    holidays: [\"2026-12-25..2026-12-26\", \"2027-01-01\"]\n";
    pl_calendars_t *set = s_load(yaml, NULL);
    const pl_calendar_t *london = pl_calendars_get(set, NULL);
    const pl_calendar_t *sydney = pl_calendars_get(set, "sydney");
    /* London 2026-03-29: 01:00 GMT -> 02:00 BST; the span 00:30-02:00 ends
     * at the end of the gap, 01:00Z: 30 minutes. In October 02:00 BST ->
     * 01:00 GMT: 00:30 BST to 02:00 GMT, 2.5 hours. */
    assert_i64_equal(pl_calendar_business_between(london, s_at("2026-03-28T23:00:00Z"),
                                                  s_at("2026-03-29T23:00:00Z")),
                     30 * MIN);
    assert_i64_equal(pl_calendar_business_between(london, s_at("2026-10-24T23:00:00Z"),
                                                  s_at("2026-10-25T23:00:00Z")),
                     150 * MIN);
    assert_time_equal(pl_calendar_add_business(london, s_at("2026-03-29T00:00:00Z"), 45 * MIN),
                      "2026-03-30T00:45:00+01:00");
    /* Sydney (southern hemisphere): AEDT ends 2026-04-05, starts 2026-10-04. */
    assert_time_equal(pl_calendar_add_business(sydney, s_at("2026-04-03T16:00:00+11:00"), 2 * H),
                      "2026-04-06T10:00:00+10:00");
    assert_time_equal(pl_calendar_add_business(sydney, s_at("2026-10-02T16:00:00+10:00"), 2 * H),
                      "2026-10-05T10:00:00+11:00");
    /* year end with holidays: Thu 12-24 17:00 + 1 working day */
    assert_time_equal(pl_calendar_add_working_days(sydney, s_at("2026-12-24T16:00:00+11:00"), 1),
                      "2026-12-28T17:00:00+11:00");
    assert_time_equal(pl_calendar_add_working_days(sydney, s_at("2026-12-31T16:00:00+11:00"), 1),
                      "2027-01-04T17:00:00+11:00");
    assert_time_equal(pl_calendar_add_business(sydney, s_at("2026-12-31T16:30:00+11:00"), H),
                      "2027-01-04T09:30:00+11:00");
    pl_calendars_destroy(&set);
}

static void test_24x7_utc(void **state)
{
    (void)state;
    static const char yaml[] = "calendar:\n"
                               "  timezone: UTC\n"
                               "  workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
                               "  hours: \"00:00-24:00\"\n";
    pl_calendars_t *set = s_load(yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    for (int i = 0; i < 2000; i++) {
        pl_usec_t a = s_rand_range(s_at("2020-01-01T00:00:00Z"), s_at("2030-01-01T00:00:00Z"));
        pl_usec_t x = s_rand_range(1, 400 * H);
        assert_i64_equal(pl_calendar_add_business(cal, a, x), a + x);
        assert_i64_equal(pl_calendar_business_between(cal, a, a + x), x);
        assert_true(pl_calendar_is_working_time(cal, a));
        assert_i64_equal(pl_calendar_next_working_time(cal, a), a);
        /* N working days: the end of the Nth day after the day of receipt */
        int n = (int)s_rand_range(1, 30);
        pl_usec_t due = pl_calendar_add_working_days(cal, a, n);
        int64_t day = a / PL_USEC_PER_DAY - (a % PL_USEC_PER_DAY < 0);
        assert_i64_equal(due, (day + n + 1) * PL_USEC_PER_DAY);
    }
    pl_calendars_destroy(&set);
}

/* ---------------------------------------------------------------- bounds */

static void test_search_bound(void **state)
{
    (void)state;
    static const char yaml[] = "calendar:\n"
                               "  timezone: UTC\n"
                               "  workweek: [mon]\n"
                               "  hours: \"09:00-09:01\"\n";
    pl_calendars_t *set = s_load(yaml, NULL);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    pl_usec_t t = s_at("2026-03-09T09:00:00Z");
    /* one minute a week: about 157 minutes fit in 1100 days, 2000 hours do not */
    assert_time_equal(pl_calendar_add_business(cal, t, 150 * MIN), "2029-01-15T09:01:00Z");
    assert_i64_equal(pl_calendar_add_business(cal, t, 2000 * H), PL_CALENDAR_NEVER);
    assert_i64_equal(pl_calendar_add_working_days(cal, t, 156), s_at("2029-03-05T09:01:00Z"));
    assert_i64_equal(pl_calendar_add_working_days(cal, t, 366), PL_CALENDAR_NEVER);
    /* between: up to about three years */
    assert_i64_equal(pl_calendar_business_between(cal, t, t + 1000 * PL_USEC_PER_DAY), 143 * MIN);
    assert_i64_equal(pl_calendar_business_between(cal, t, t + 1200 * PL_USEC_PER_DAY), -1);
    /* out of range */
    pl_usec_t far = s_at("9999-12-31T23:59:59Z");
    assert_i64_equal(pl_calendar_add_business(cal, far + PL_USEC_PER_SEC, H), PL_CALENDAR_NEVER);
    assert_i64_equal(pl_calendar_add_business(cal, INT64_MIN, H), PL_CALENDAR_NEVER);
    assert_i64_equal(pl_calendar_add_working_days(cal, INT64_MAX, 1), PL_CALENDAR_NEVER);
    assert_i64_equal(pl_calendar_next_working_time(cal, INT64_MAX), PL_CALENDAR_NEVER);
    assert_i64_equal(pl_calendar_business_between(cal, INT64_MIN, t), -1);
    assert_false(pl_calendar_is_working_time(cal, INT64_MAX));
    assert_false(pl_calendar_is_working_time(NULL, t));
    assert_i64_equal(pl_calendar_add_business(NULL, t, H), PL_CALENDAR_NEVER);
    /* the far end still works */
    assert_time_equal(pl_calendar_add_business(cal, s_at("9999-12-01T00:00:00Z"), MIN),
                      "9999-12-06T09:01:00Z");
    assert_time_equal(pl_calendar_add_business(cal, s_at("0001-01-01T00:00:00Z"), MIN),
                      "0001-01-01T09:01:00Z");
    pl_calendars_destroy(&set);
}

/* ---------------------------------------------------------------- properties and oracles */

typedef struct {
    const char *yaml;
    const char *id;
    pl_usec_t from, to; /* where random instants are drawn */
} s_prop_case_t;

static void s_check_properties(const pl_calendar_t *cal, pl_usec_t from, pl_usec_t to, int rounds)
{
    char b1[PL_TIME_RFC3339_SIZE], b2[PL_TIME_RFC3339_SIZE];
    for (int i = 0; i < rounds; i++) {
        /* instants on the minute, the second or the microsecond */
        pl_usec_t grain = (i % 3 == 0) ? MIN : (i % 3 == 1) ? PL_USEC_PER_SEC : 1;
        pl_usec_t a = s_rand_range(from, to) / grain * grain;
        pl_usec_t x = s_rand_range(0, 60 * H) / grain * grain;
        pl_usec_t r = pl_calendar_add_business(cal, a, x);
        assert_true(r != PL_CALENDAR_NEVER && r >= a);
        if (pl_calendar_business_between(cal, a, r) != x) {
            fail_msg("%s: between(%s, add(+%" PRId64 ")=%s) = %" PRId64, pl_calendar_id(cal),
                     s_fmt(a, b1), x, s_fmt(r, b2), pl_calendar_business_between(cal, a, r));
        }
        if (x > 0) {
            assert_true(pl_calendar_is_working_time(cal, r - 1));
        }
        /* monotone in the start */
        pl_usec_t a2 = a + s_rand_range(0, 48 * H);
        assert_true(pl_calendar_add_business(cal, a2, x) >= r);
        /* between, then add, lands at b or at the close before it */
        pl_usec_t b = a + s_rand_range(0, 20 * PL_USEC_PER_DAY);
        pl_usec_t w = pl_calendar_business_between(cal, a, b);
        assert_true(w >= 0 && w <= b - a);
        pl_usec_t back = pl_calendar_add_business(cal, a, w);
        assert_true(back <= b);
        assert_i64_equal(pl_calendar_business_between(cal, back, b), 0);
        if (pl_calendar_is_working_time(cal, b - 1) && w > 0) {
            assert_i64_equal(back, b);
        }
        /* additive */
        pl_usec_t c = b + s_rand_range(0, 5 * PL_USEC_PER_DAY);
        assert_i64_equal(pl_calendar_business_between(cal, a, c),
                         w + pl_calendar_business_between(cal, b, c));
        /* next working time */
        pl_usec_t next = pl_calendar_next_working_time(cal, a);
        assert_true(next >= a);
        assert_int_equal(next == a, pl_calendar_is_working_time(cal, a));
        assert_true(pl_calendar_is_working_time(cal, next));
        assert_i64_equal(pl_calendar_business_between(cal, a, next), 0);
        assert_i64_equal(pl_calendar_add_business(cal, a, 1), next + 1);
        /* working days: the Nth working day after the day of receipt, at its close */
        int n = (int)s_rand_range(1, 15);
        pl_usec_t due = pl_calendar_add_working_days(cal, a, n);
        assert_true(due != PL_CALENDAR_NEVER && due > a);
        int64_t d0 = pl_calendar_local_day(cal, a);
        int64_t dn = pl_calendar_local_day(cal, due - 1);
        assert_true(pl_calendar_is_working_day(cal, dn));
        int counted = 0;
        for (int64_t d = d0 + 1; d <= dn; d++) {
            counted += pl_calendar_is_working_day(cal, d);
        }
        assert_int_equal(counted, n);
        assert_true(pl_calendar_is_working_time(cal, due - 1));
    }
}

/* A synthetic zone whose clocks go back across midnight: on Sunday
 * 2026-03-08 at 00:30 (UTC+0) they return to Saturday 23:30 (UTC-1). The
 * instants after the change read Saturday, yet lie inside Sunday's first
 * span, which began before it. */
static void s_put32(FILE *f, uint32_t v)
{
    const unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                                (unsigned char)(v >> 8), (unsigned char)v};
    fwrite(b, 1, 4, f);
}

static void s_write_midnight_zone(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const int64_t change = s_at("2026-03-08T00:30:00Z") / PL_USEC_PER_SEC;
    for (int pass = 0; pass < 2; pass++) {
        fwrite("TZif2", 1, 5, f);
        fwrite("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 1, 15, f);
        const uint32_t counts[6] = {0, 0, 0, pass ? 1 : 0, pass ? 2 : 1, 4};
        for (int i = 0; i < 6; i++) {
            s_put32(f, counts[i]);
        }
        if (pass == 0) {
            s_put32(f, 0); /* one type, offset 0 */
            fwrite("\0\0XXX\0", 1, 6, f);
            continue;
        }
        s_put32(f, (uint32_t)((uint64_t)change >> 32));
        s_put32(f, (uint32_t)change);
        fputc(1, f);
        s_put32(f, 0);
        fwrite("\0\0", 1, 2, f);
        s_put32(f, (uint32_t)-3600);
        fwrite("\0\0", 1, 2, f);
        fwrite("XXX\0", 1, 4, f);
    }
    fputs("\n<-01>1\n", f);
    fclose(f);
}

static void test_overlap_across_midnight(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_calendar_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], path[256];
    snprintf(sub, sizeof sub, "%s/Test", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/Test/Midnight", dir);
    s_write_midnight_zone(path);
    setenv("TZDIR", dir, 1);
    pl_calendars_t *set = s_load("calendar:\n"
                                 "  timezone: Test/Midnight\n"
                                 "  workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
                                 "  hours: \"00:00-01:00\"\n",
                                 NULL);
    unsetenv("TZDIR");
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    const pl_calendar_t *cal = pl_calendars_get(set, NULL);
    pl_usec_t t = s_at("2026-03-08T00:45:00Z"); /* reads Saturday 23:45 */
    assert_i64_equal(pl_calendar_local_day(cal, t), s_day("2026-03-07"));
    assert_true(pl_calendar_is_working_time(cal, t));
    assert_i64_equal(pl_calendar_next_working_time(cal, t), t);
    /* Sunday's 00:00-01:00 runs from 00:00Z to 02:00Z (01:00 at UTC-1). */
    assert_i64_equal(pl_calendar_business_between(cal, s_at("2026-03-07T12:00:00Z"),
                                                  s_at("2026-03-08T12:00:00Z")),
                     2 * H);
    assert_time_equal(pl_calendar_add_business(cal, t, 30 * MIN), "2026-03-08T01:15:00Z");
    assert_time_equal(pl_calendar_add_business(cal, s_at("2026-03-07T12:00:00Z"), 90 * MIN),
                      "2026-03-08T01:30:00Z");
    s_check_properties(cal, s_at("2026-03-05T00:00:00Z"), s_at("2026-03-11T00:00:00Z"), 300);
    pl_calendars_destroy(&set);
}

static void test_properties_random(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    static const char yaml[] =
        "calendar:\n"
        "  timezone: Asia/Shanghai\n"
        "  hours: [\"08:30-12:00\", \"13:30-17:30\"]\n" S_CN_2026_HOLIDAYS S_CN_2026_WORKDAYS
        "calendars:\n"
        "  - id: ny\n"
        "    timezone: America/New_York\n"
        "    hours: [\"00:00-01:30\", \"09:00-17:00\", \"23:00-24:00\"]\n"
        "  - id: london-nights\n"
        "    timezone: Europe/London\n"
        "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
        "    hours: [\"00:30-02:30\", \"22:00-24:00\"]\n"
        "  - id: sydney\n"
        "    timezone: Australia/Sydney\n"
        "    workweek: [sun, mon, tue, wed, thu, fri, sat]\n"
        "    hours: [\"01:30-03:30\"]\n"
        "  - id: 24x7-ny\n"
        "    timezone: America/New_York\n"
        "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
        "    hours: \"00:00-24:00\"\n";
    pl_calendars_t *set = s_load(yaml, NULL);
    for (size_t i = 0; i < pl_calendars_count(set); i++) {
        s_check_properties(pl_calendars_at(set, i), s_at("2025-12-01T00:00:00Z"),
                           s_at("2027-01-31T00:00:00Z"), 1500);
        /* and around the daylight-saving changes */
        s_check_properties(pl_calendars_at(set, i), s_at("2026-03-06T00:00:00Z"),
                           s_at("2026-04-07T00:00:00Z"), 500);
        s_check_properties(pl_calendars_at(set, i), s_at("2026-10-02T00:00:00Z"),
                           s_at("2026-11-03T00:00:00Z"), 500);
    }
    pl_calendars_destroy(&set);
}

/* The oracle: is this minute (UTC, on the minute) working time? Local time
 * from the C library (TZ set in this test only), the day's status from the
 * arrays above, the spans written out again. */
typedef bool (*s_minute_fn)(int64_t minute_utc_seconds);

static bool s_cn_lunch_minute(int64_t t)
{
    int64_t local = t + 8 * 3600; /* Asia/Shanghai has no DST since 1991 */
    int64_t day = local / 86400 - (local % 86400 < 0);
    int m = (int)((local - day * 86400) / 60);
    return s_cn_working_day(day) && ((m >= 510 && m < 720) || (m >= 810 && m < 1050));
}

static bool s_ny_minute(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    int m = tm.tm_hour * 60 + tm.tm_min;
    return tm.tm_wday >= 1 && tm.tm_wday <= 5 && m >= 540 && m < 1020;
}

static void s_check_oracle(const pl_calendar_t *cal, s_minute_fn working, pl_usec_t from,
                           pl_usec_t to, int rounds)
{
    char b1[PL_TIME_RFC3339_SIZE], b2[PL_TIME_RFC3339_SIZE];
    for (int i = 0; i < rounds; i++) {
        int64_t a = s_rand_range(from, to) / MIN * 60; /* seconds, on the minute */
        int64_t len = s_rand_range(0, 6 * 24 * 60);
        int64_t count = 0;
        for (int64_t k = 0; k < len; k++) {
            count += working(a + k * 60);
        }
        pl_usec_t au = a * PL_USEC_PER_SEC, bu = (a + len * 60) * PL_USEC_PER_SEC;
        if (pl_calendar_business_between(cal, au, bu) != count * MIN) {
            fail_msg("between(%s, %s) = %" PRId64 " min, oracle %" PRId64, s_fmt(au, b1),
                     s_fmt(bu, b2), pl_calendar_business_between(cal, au, bu) / MIN, count);
        }
        assert_int_equal(pl_calendar_is_working_time(cal, au), working(a));
        /* add: the end of the k-th working minute */
        int64_t want_minutes = s_rand_range(1, 40 * 60);
        int64_t t = a, seen = 0;
        while (seen < want_minutes) {
            seen += working(t);
            t += 60;
        }
        pl_usec_t got = pl_calendar_add_business(cal, au, want_minutes * MIN);
        if (got != t * PL_USEC_PER_SEC) {
            fail_msg("add(%s, %" PRId64 " min) = %s, oracle %s", s_fmt(au, b1), want_minutes,
                     s_fmt(got, b2), s_fmt(t * PL_USEC_PER_SEC, b1));
        }
    }
}

static void test_oracle_minutes(void **state)
{
    (void)state;
    SKIP_WITHOUT_ZONEINFO();
    pl_calendars_t *set = s_load(s_lunch_yaml, NULL);
    s_check_oracle(pl_calendars_get(set, NULL), s_cn_lunch_minute, s_at("2026-01-01T00:00:00Z"),
                   s_at("2026-12-20T00:00:00Z"), 150);
    /* around the holidays, more densely */
    s_check_oracle(pl_calendars_get(set, NULL), s_cn_lunch_minute, s_at("2026-09-15T00:00:00Z"),
                   s_at("2026-10-12T00:00:00Z"), 60);
    s_check_oracle(pl_calendars_get(set, NULL), s_cn_lunch_minute, s_at("2026-02-10T00:00:00Z"),
                   s_at("2026-03-01T00:00:00Z"), 60);
    pl_calendars_destroy(&set);

    set = s_load("calendar:\n  timezone: America/New_York\n  hours: \"09:00-17:00\"\n", NULL);
    setenv("TZ", "America/New_York", 1);
    tzset();
    s_check_oracle(pl_calendars_get(set, NULL), s_ny_minute, s_at("2026-03-01T00:00:00Z"),
                   s_at("2026-03-15T00:00:00Z"), 60);
    s_check_oracle(pl_calendars_get(set, NULL), s_ny_minute, s_at("2026-10-25T00:00:00Z"),
                   s_at("2026-11-08T00:00:00Z"), 60);
    unsetenv("TZ");
    pl_calendars_destroy(&set);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_parse_valid),
        cmocka_unit_test(test_duration_parse_invalid),
        cmocka_unit_test(test_duration_format_round_trip),
        cmocka_unit_test(test_duration_apply),
        cmocka_unit_test(test_default_calendar),
        cmocka_unit_test(test_load_full),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_reports_all_errors),
        cmocka_unit_test(test_load_limits),
        cmocka_unit_test(test_cn_2026_working_days),
        cmocka_unit_test(test_cn_2026_working_day_deadlines),
        cmocka_unit_test(test_business_hours_lunch_break),
        cmocka_unit_test(test_new_york_dst),
        cmocka_unit_test(test_london_and_sydney),
        cmocka_unit_test(test_24x7_utc),
        cmocka_unit_test(test_search_bound),
        cmocka_unit_test(test_properties_random),
        cmocka_unit_test(test_overlap_across_midnight),
        cmocka_unit_test(test_oracle_minutes),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
