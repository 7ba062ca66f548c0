/*
 * pl_calendar: business calendars, for deadlines such as "within 2 working
 * days" (R16), "4 business hours" or "2h" (R17), and repeated reminders
 * "every 30m" (R18). See docs/calendar.md for the YAML keys and the exact
 * rules; this header is the contract.
 *
 * A calendar has a time zone, a working week (which weekdays are working
 * days), the working hours of a working day (one or more spans such as
 * 08:30-12:00 and 13:30-17:30, the same on every working day), public
 * holidays (rest days, whatever their weekday) and make-up working days
 * (调休: rest days, usually a Saturday or Sunday, that are working days).
 *
 * Whether a local day is a working day, in this order:
 *   1. a holiday is not a working day;
 *   2. a make-up working day is a working day;
 *   3. otherwise the working week decides.
 * The loader refuses a date that is both a holiday and a make-up day, so in
 * a loaded calendar the order only matters in principle.
 *
 * Working time: the spans of working days, taken on the local wall clock
 * and turned into UTC with pl_tz_to_utc(): a span boundary that falls in a
 * daylight-saving gap moves to the end of the gap; one that falls in an
 * overlap takes the earlier instant. Business time is real elapsed time
 * inside working time: a 00:00-24:00 span on the day the clocks go forward
 * holds 23 hours, on the day they go back 25.
 *
 * Calendars and calendar sets are immutable once loaded and may be used
 * from several threads at once.
 *
 * Bounded searches: every function that looks for working time stops after
 * PL_CALENDAR_MAX_SEARCH_DAYS local days and then returns PL_CALENDAR_NEVER.
 * The loader refuses calendars without working time (an empty working week,
 * no hours) and those with more than PL_CALENDAR_MAX_REST_DAYS consecutive
 * rest days, so with the duration limits of pl_duration_parse() only an
 * unusually sparse calendar (say one hour a week and "2000 business hours")
 * reaches the bound. Instants outside years 0001..9999 (UTC) also give
 * PL_CALENDAR_NEVER.
 */
#ifndef PL_CALENDAR_H
#define PL_CALENDAR_H

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/tz.h"
#include "config/yaml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "No such instant": the search gave up or the input was out of range. */
#define PL_CALENDAR_NEVER INT64_MAX

/* Local days a search looks at before giving up (about three years). */
#define PL_CALENDAR_MAX_SEARCH_DAYS 1100

/* Longest run of consecutive rest days a calendar may have. */
#define PL_CALENDAR_MAX_REST_DAYS 92

/* Longest holiday or make-up range ("2026-10-01..2026-10-07"), in days. */
#define PL_CALENDAR_MAX_RANGE_DAYS 92

#define PL_CALENDAR_MAX_SPANS 16     /* spans in `hours` */
#define PL_CALENDAR_MAX_DATES 4096   /* entries of `holidays` or of `workdays` */
#define PL_CALENDAR_MAX_CALENDARS 64 /* the default and the named ones */
#define PL_CALENDAR_MAX_ID 32        /* bytes of a calendar id */

/* The id of the calendar under the top-level key `calendar`. */
#define PL_CALENDAR_DEFAULT_ID "default"

/* The built-in default calendar (no `calendar` key): Asia/Shanghai,
 * Monday to Friday, 09:00-18:00, no holidays. */
#define PL_CALENDAR_DEFAULT_TIMEZONE "Asia/Shanghai"
#define PL_CALENDAR_DEFAULT_HOURS "09:00-18:00"

/* Weekdays as bits of pl_calendar_workweek(): Monday is bit 0. */
enum {
    PL_CALENDAR_MON = 1 << 0,
    PL_CALENDAR_TUE = 1 << 1,
    PL_CALENDAR_WED = 1 << 2,
    PL_CALENDAR_THU = 1 << 3,
    PL_CALENDAR_FRI = 1 << 4,
    PL_CALENDAR_SAT = 1 << 5,
    PL_CALENDAR_SUN = 1 << 6,
};

typedef struct pl_calendar pl_calendar_t;
typedef struct pl_calendars pl_calendars_t;

/* ---- one calendar ------------------------------------------------------------------------- */

/* pl_calendar_id: "default" or the id given in `calendars`; valid as long
 * as the calendar. */
const char *pl_calendar_id(const pl_calendar_t *cal);

/* pl_calendar_tz: the calendar's time zone (borrowed; valid as long as the
 * calendar). */
const pl_tz_t *pl_calendar_tz(const pl_calendar_t *cal);

/* pl_calendar_workweek: the working weekdays, PL_CALENDAR_MON | ... */
unsigned pl_calendar_workweek(const pl_calendar_t *cal);

/* pl_calendar_span_count, pl_calendar_span: the working hours, sorted and
 * disjoint; span `i` runs from *start_min to *end_min minutes after local
 * midnight (0 <= start < end <= 1440). */
size_t pl_calendar_span_count(const pl_calendar_t *cal);
void pl_calendar_span(const pl_calendar_t *cal, size_t i, int *start_min, int *end_min);

/* pl_calendar_last_listed_year: the latest year named by a holiday or a
 * make-up day, or 0 if there are none; lets the daemon warn when next
 * year's public holidays have not been added yet. */
int64_t pl_calendar_last_listed_year(const pl_calendar_t *cal);

/* pl_calendar_weekday: 0 = Monday .. 6 = Sunday for local day `day` (days
 * since 1970-01-01, which was a Thursday). */
int pl_calendar_weekday(int64_t day);

/* pl_calendar_local_day: the local day (days since 1970-01-01 in the
 * calendar's zone) of instant `t`. */
int64_t pl_calendar_local_day(const pl_calendar_t *cal, pl_usec_t t);

/* pl_calendar_is_holiday, pl_calendar_is_makeup_day: whether local day
 * `day` is listed under `holidays`, respectively `workdays`. */
bool pl_calendar_is_holiday(const pl_calendar_t *cal, int64_t day);
bool pl_calendar_is_makeup_day(const pl_calendar_t *cal, int64_t day);

/* pl_calendar_is_working_day: whether local day `day` is a working day:
 * not a holiday, and a make-up day or a day of the working week. */
bool pl_calendar_is_working_day(const pl_calendar_t *cal, int64_t day);

/* pl_calendar_is_working_time: whether `t` lies inside a span of a working
 * day (spans include their start and exclude their end). */
bool pl_calendar_is_working_time(const pl_calendar_t *cal, pl_usec_t t);

/*
 * pl_calendar_next_working_time: `t` itself if it is working time, else the
 * start of the next span of a working day; PL_CALENDAR_NEVER if none within
 * the search bound.
 */
pl_usec_t pl_calendar_next_working_time(const pl_calendar_t *cal, pl_usec_t t);

/*
 * pl_calendar_add_business: the instant at which `amount` microseconds of
 * working time have passed since `start`. Counting starts at `start` if it
 * is working time, else at the next span start; when the amount runs out
 * exactly at the end of a span, the result is that end (the close of
 * business), not the next span start. Lunch breaks, nights, rest days and
 * holidays do not count. `amount` <= 0 returns `start`.
 * Example (08:30-12:00, 13:30-17:30): Monday 11:00 + 4 h -> Monday 16:30;
 * Friday 17:00 + 1 h -> next working day 09:00.
 * Returns PL_CALENDAR_NEVER when the search bound is reached or `start` is
 * out of range.
 */
pl_usec_t pl_calendar_add_business(const pl_calendar_t *cal, pl_usec_t start, pl_usec_t amount);

/*
 * pl_calendar_add_working_days: the deadline "`days` working days" after
 * `start`: the close of business (the end of the last span) of the
 * `days`-th working day after the local day of `start`. The day of receipt
 * never counts, whatever the hour and whether or not it is a working day
 * (as in "the day a period starts is not counted"); make-up days count, as
 * any working day. With mon-fri 09:00-18:00:
 *   received Friday 10:00 (or Saturday, or Thursday 23:59) + 2 -> Tuesday 18:00;
 *   received Wednesday 2026-09-30 17:00 + 2, holidays 10-01..10-07 ->
 *   Thursday 2026-10-08 is the 1st, Friday 10-09 the 2nd -> 10-09 18:00; + 3
 *   -> the make-up Saturday 10-10 18:00.
 * `days` <= 0 returns `start`. Returns PL_CALENDAR_NEVER when the search
 * bound is reached or `start` is out of range.
 */
pl_usec_t pl_calendar_add_working_days(const pl_calendar_t *cal, pl_usec_t start, int days);

/*
 * pl_calendar_business_between: the working time in [a, b), in
 * microseconds; 0 if b <= a. For "warn at 80%" of a business-time deadline
 * and for pauses. For every a <= b: with r = pl_calendar_add_business(a,
 * business_between(a, b)), r <= b and business_between(r, b) == 0 (r is b,
 * or the close of the last span before b).
 * Returns -1 when the interval spans more than PL_CALENDAR_MAX_SEARCH_DAYS
 * local days or an end is out of range.
 */
pl_usec_t pl_calendar_business_between(const pl_calendar_t *cal, pl_usec_t a, pl_usec_t b);

/* ---- durations ---------------------------------------------------------------------------- */

typedef enum {
    PL_DURATION_REAL = 1,         /* "2h": elapsed time, every hour counts */
    PL_DURATION_BUSINESS = 2,     /* "4 business hours": working time only */
    PL_DURATION_WORKING_DAYS = 3, /* "2 working days": close of the Nth working day */
} pl_duration_kind_t;

typedef struct pl_duration {
    pl_duration_kind_t kind;
    /* Microseconds for REAL and BUSINESS; a count of days for WORKING_DAYS. */
    int64_t amount;
} pl_duration_t;

/* Limits of pl_duration_parse(). */
#define PL_DURATION_MAX_REAL (INT64_C(366) * PL_USEC_PER_DAY)
#define PL_DURATION_MAX_BUSINESS (INT64_C(2000) * PL_USEC_PER_HOUR)
#define PL_DURATION_MAX_WORKING_DAYS 366

/* A buffer of this many bytes holds any text of pl_duration_format(). */
#define PL_DURATION_FORMAT_SIZE 48

/*
 * pl_duration_parse: parses `s` (borrowed) into *out (untouched on
 * failure). Accepted, with any amount of spaces between words and around
 * the text, words in lower case:
 *   real time:      units d, h, m, s, each at most once, in that order, no
 *                   spaces inside: "2h", "30m", "90s", "1h30m", "24h", "2d"
 *   business time:  "N business hours", "N business minutes" (or "hour",
 *                   "minute")
 *   working days:   "N working days" (or "day"); "business days" is the
 *                   same
 * Amounts are decimal integers without sign; the total must be positive and
 * at most PL_DURATION_MAX_REAL, PL_DURATION_MAX_BUSINESS or
 * PL_DURATION_MAX_WORKING_DAYS.
 * Returns 0, or PL_EINVAL with `err` (may be NULL) saying what is wrong and
 * what is accepted.
 */
int pl_duration_parse(const char *s, pl_duration_t *out, pl_err_t *err);

/*
 * pl_duration_apply: `start` plus the duration: `start + amount` for REAL
 * (`cal` may be NULL), pl_calendar_add_business() for BUSINESS,
 * pl_calendar_add_working_days() for WORKING_DAYS. Returns
 * PL_CALENDAR_NEVER when a calendar search gives up, when `cal` is NULL for
 * a calendar duration, or on overflow.
 */
pl_usec_t pl_duration_apply(const pl_duration_t *d, const pl_calendar_t *cal, pl_usec_t start);

/*
 * pl_duration_format: writes the duration as pl_duration_parse() reads it
 * back ("1h30m", "4 business hours", "90 business minutes", "1 working
 * day") into `buf` and returns `buf`. PL_DURATION_FORMAT_SIZE bytes are
 * enough.
 */
char *pl_duration_format(const pl_duration_t *d, char *buf, size_t size);

/* ---- calendar sets and the YAML loader ---------------------------------------------------- */

/* pl_calendar_report_fn: receives one load error (borrowed for the call);
 * the same shape as pl_rules_report_fn. */
typedef void (*pl_calendar_report_fn)(const pl_err_t *err, void *arg);

/*
 * pl_calendars_load_yaml: reads the top-level keys `calendar` (the default
 * calendar, id "default") and `calendars` (a list of named calendars) of
 * `root`, the root mapping of `doc` (both borrowed; root may be NULL for an
 * empty file; other top-level keys are ignored). Without `calendar`, the
 * default calendar is the built-in one (PL_CALENDAR_DEFAULT_*). Time zones
 * are read from the zone database now (see pl_tz_load), once per name.
 * Every error found is passed to `report` (may be NULL) with code
 * PL_ECONFIG (or PL_ENOMEM), the document's name and the 1-based line and
 * column of the offending node; loading goes on after an error so that one
 * run shows them all. Returns a new set, caller destroys, or NULL if any
 * error was reported.
 */
pl_calendars_t *pl_calendars_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                       pl_calendar_report_fn report, void *arg);

/*
 * pl_calendars_new_default: a set holding only the built-in default
 * calendar. Returns a new set, caller destroys, or NULL with `err` (may be
 * NULL) filled: PL_ENOMEM, or the pl_tz_load() error when the zone
 * database lacks Asia/Shanghai.
 */
pl_calendars_t *pl_calendars_new_default(pl_err_t *err);

/* pl_calendars_destroy: frees the set, its calendars and zones; accepts
 * NULL and a pointer to NULL; sets *self_p to NULL. */
void pl_calendars_destroy(pl_calendars_t **self_p);

/* pl_calendars_get: the calendar `id` (borrowed; NULL = the default), or
 * NULL if there is none. Valid as long as the set. */
const pl_calendar_t *pl_calendars_get(const pl_calendars_t *set, const char *id);

/* pl_calendars_count, pl_calendars_at: every calendar, the default first,
 * then the named ones in file order; NULL if `i` is out of range. */
size_t pl_calendars_count(const pl_calendars_t *set);
const pl_calendar_t *pl_calendars_at(const pl_calendars_t *set, size_t i);

#endif
