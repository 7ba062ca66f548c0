/*
 * fuzz_calendar: libFuzzer target for the business-calendar loader
 * (pl_calendars_load_yaml, over the YAML tree) and for the arithmetic on
 * whatever it accepts, plus pl_duration_parse on the input's first line.
 * Seeds are in tests/fuzz/corpus/calendar/.
 *
 *   cmake -DCMAKE_C_COMPILER=clang -DPL_FUZZ=ON -DPL_SANITIZE=address,undefined ..
 *   ./tests/fuzz_calendar -max_total_time=60 ../tests/fuzz/corpus/calendar
 *
 * Besides "no crash, no leak, no undefined behaviour, no hang" it checks:
 *   - a set comes back exactly when no error was reported; every error has
 *     a negative code, a message and (with a node) a 1-based position;
 *   - on each loaded calendar (the first few), at instants drawn from a
 *     hash of the input over 1900..2100 and at the extremes: add_business
 *     gives NEVER or an instant r >= start with business_between(start, r)
 *     equal to the amount, and r - 1 is working time; next_working_time is
 *     working time; add_working_days closes a working day; is_working_day
 *     follows holidays, make-up days and the working week;
 *   - a parsed duration formats to a text that parses to the same duration.
 * Each input runs a bounded number of searches, each bounded by
 * PL_CALENDAR_MAX_SEARCH_DAYS, so an input cannot take long.
 */
#include "config/calendar.h"
#include "config/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_calendar: check failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum {
    S_MAX_CALENDARS_CHECKED = 4,
    S_ROUNDS = 4,
};

typedef struct {
    size_t errors;
} s_report_t;

static void s_report(const pl_err_t *err, void *arg)
{
    s_report_t *r = arg;
    char line[1024];
    S_CHECK(err->code < 0);
    S_CHECK(err->message[0] != '\0');
    S_CHECK(err->line >= 0 && err->column >= 0);
    pl_err_format(err, line, sizeof line);
    r->errors++;
}

static uint64_t s_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(2685821657736338717);
}

static void s_check_calendar(const pl_calendar_t *cal, uint64_t *rng)
{
    /* 1900-01-01 .. 2100-01-01, in microseconds */
    const pl_usec_t lo = INT64_C(-2208988800) * PL_USEC_PER_SEC;
    const pl_usec_t span = INT64_C(6311433600) * PL_USEC_PER_SEC;
    S_CHECK(pl_calendar_span_count(cal) >= 1);
    S_CHECK(pl_calendar_workweek(cal) != 0 && pl_calendar_workweek(cal) < 128);
    for (size_t i = 0; i < pl_calendar_span_count(cal); i++) {
        int a, b;
        pl_calendar_span(cal, i, &a, &b);
        S_CHECK(0 <= a && a < b && b <= 1440);
    }
    for (int round = 0; round < S_ROUNDS; round++) {
        pl_usec_t start = lo + (pl_usec_t)(s_next(rng) % (uint64_t)span);
        pl_usec_t amount = (pl_usec_t)(s_next(rng) % (uint64_t)(100 * PL_USEC_PER_HOUR));
        pl_usec_t r = pl_calendar_add_business(cal, start, amount);
        if (r != PL_CALENDAR_NEVER) {
            S_CHECK(r >= start);
            pl_usec_t between = pl_calendar_business_between(cal, start, r);
            S_CHECK(between == -1 || between == amount);
            if (amount > 0) {
                S_CHECK(pl_calendar_is_working_time(cal, r - 1));
            }
        }
        pl_usec_t next = pl_calendar_next_working_time(cal, start);
        if (next != PL_CALENDAR_NEVER) {
            S_CHECK(next >= start);
            S_CHECK(pl_calendar_is_working_time(cal, next));
            S_CHECK((next == start) == pl_calendar_is_working_time(cal, start));
        }
        int days = (int)(s_next(rng) % 10) + 1;
        pl_usec_t due = pl_calendar_add_working_days(cal, start, days);
        if (due != PL_CALENDAR_NEVER) {
            S_CHECK(due > start);
            S_CHECK(pl_calendar_is_working_day(cal, pl_calendar_local_day(cal, due - 1)));
        }
        int64_t day = pl_calendar_local_day(cal, start);
        bool working = pl_calendar_is_working_day(cal, day);
        if (pl_calendar_is_holiday(cal, day)) {
            S_CHECK(!working);
        } else if (pl_calendar_is_makeup_day(cal, day)) {
            S_CHECK(working);
        } else {
            S_CHECK(working ==
                    (((pl_calendar_workweek(cal) >> pl_calendar_weekday(day)) & 1) != 0));
        }
    }
    /* the extremes take the error path, never a long walk */
    S_CHECK(pl_calendar_add_business(cal, INT64_MAX, 1) == PL_CALENDAR_NEVER);
    S_CHECK(pl_calendar_add_working_days(cal, INT64_MIN, 1) == PL_CALENDAR_NEVER);
    S_CHECK(pl_calendar_business_between(cal, INT64_MIN, INT64_MAX) == -1);
    S_CHECK(!pl_calendar_is_working_time(cal, INT64_MIN));
}

static void s_check_duration(const uint8_t *data, size_t size)
{
    char text[128];
    size_t n = 0;
    while (n < size && n < sizeof text - 1 && data[n] != '\n') {
        text[n] = (char)data[n];
        n++;
    }
    text[n] = '\0';
    pl_duration_t d;
    pl_err_t err;
    pl_err_clear(&err);
    if (pl_duration_parse(text, &d, &err) != 0) {
        S_CHECK(err.code == PL_EINVAL && err.message[0]);
        return;
    }
    S_CHECK(d.amount > 0);
    char buf[PL_DURATION_FORMAT_SIZE];
    pl_duration_t again;
    S_CHECK(pl_duration_parse(pl_duration_format(&d, buf, sizeof buf), &again, NULL) == 0);
    S_CHECK(again.kind == d.kind && again.amount == d.amount);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_check_duration(data, size);

    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer((const char *)data, size, "fuzz.yaml", &err);
    if (!doc) {
        return 0;
    }
    s_report_t report = {0};
    pl_calendars_t *set = pl_calendars_load_yaml(doc, pl_yaml_doc_root(doc), s_report, &report);
    S_CHECK((set != NULL) == (report.errors == 0));
    if (set) {
        S_CHECK(pl_calendars_count(set) >= 1);
        S_CHECK(pl_calendars_get(set, NULL) == pl_calendars_at(set, 0));
        uint64_t rng = UINT64_C(1469598103934665603);
        for (size_t i = 0; i < size; i++) {
            rng = (rng ^ data[i]) * UINT64_C(1099511628211);
        }
        rng |= 1;
        for (size_t i = 0; i < pl_calendars_count(set) && i < S_MAX_CALENDARS_CHECKED; i++) {
            const pl_calendar_t *cal = pl_calendars_at(set, i);
            S_CHECK(pl_calendars_get(set, pl_calendar_id(cal)) == cal);
            s_check_calendar(cal, &rng);
        }
    }
    pl_calendars_destroy(&set);
    pl_yaml_doc_destroy(&doc);
    return 0;
}
