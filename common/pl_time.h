/*
 * pl_time: wall-clock and monotonic time in microseconds, and strict RFC 3339
 * parsing and formatting. Nothing here depends on the locale, the TZ
 * variable or the system time-zone database: all arithmetic is proleptic
 * Gregorian in UTC.
 */
#ifndef PL_TIME_H
#define PL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pl_usec_t: microseconds since 1970-01-01T00:00:00Z (negative before it). */
typedef int64_t pl_usec_t;

#define PL_USEC_PER_SEC INT64_C(1000000)
#define PL_USEC_PER_MIN (INT64_C(60) * PL_USEC_PER_SEC)
#define PL_USEC_PER_HOUR (INT64_C(60) * PL_USEC_PER_MIN)
#define PL_USEC_PER_DAY (INT64_C(24) * PL_USEC_PER_HOUR)

/*
 * PL_TIME_RFC3339_SIZE: a buffer of this many bytes holds any string
 * pl_time_format_rfc3339() produces, for every pl_usec_t value.
 */
#define PL_TIME_RFC3339_SIZE 40

/*
 * pl_now_fn: the clock behind pl_now(). It points to pl_time_realtime_usec by
 * default; tests replace it to move time and must restore it afterwards.
 * Not synchronised: set it before starting threads.
 */
extern pl_usec_t (*pl_now_fn)(void);

/* pl_now: the current wall-clock time, read through pl_now_fn. */
pl_usec_t pl_now(void);

/* pl_time_realtime_usec: CLOCK_REALTIME in microseconds (the default pl_now_fn). */
pl_usec_t pl_time_realtime_usec(void);

/*
 * pl_monotonic_usec: CLOCK_MONOTONIC in microseconds, for measuring intervals.
 * Its origin is unspecified; never compare it with wall-clock times.
 */
pl_usec_t pl_monotonic_usec(void);

/*
 * pl_time_parse_rfc3339: parses the whole of `s` as an RFC 3339 date-time,
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, and stores the instant in
 * `*out` (untouched on failure). The separator may be 'T', 't' or a space;
 * 'z' is accepted for 'Z'. The fraction has 1..9 digits and is truncated to
 * microseconds. Month, day (leap years included), hour < 24, minute < 60 and
 * second <= 59 (leap second 60 refused) are validated, as are offset hours
 * < 24 and minutes < 60. No leading or trailing characters are allowed.
 * Years 0000..9999 are accepted.
 * Borrows `s` (must outlive the call). Returns 0, or PL_EINVAL when `s` or
 * `out` is NULL or `s` is not such a time.
 */
int pl_time_parse_rfc3339(const char *s, pl_usec_t *out);

/*
 * pl_time_format_rfc3339: writes `t` as UTC into `buf`:
 * "2026-11-28T12:00:00Z" when the microseconds are 0, otherwise
 * "2026-11-28T12:00:00.123456Z" (always 6 digits). Works for every value,
 * including times before 1970; years outside 0000..9999 are written with as
 * many digits as needed (and a '-' sign before year 0), which is no longer
 * RFC 3339. Returns the length written (without the NUL), or 0 when `size` is
 * too small, in which case `buf` holds "" if `size` > 0.
 * PL_TIME_RFC3339_SIZE bytes are always enough.
 */
size_t pl_time_format_rfc3339(pl_usec_t t, char *buf, size_t size);

/*
 * pl_time_parse_date: parses exactly "YYYY-MM-DD" (years 0000..9999, month and
 * day validated, leap years included) into `*year`, `*month` (1..12) and
 * `*day` (1..31); outputs are untouched on failure. Returns 0, or PL_EINVAL
 * when an argument is NULL or `s` is not such a date.
 */
int pl_time_parse_date(const char *s, int *year, int *month, int *day);

/* pl_time_is_leap_year: true when `year` is a Gregorian leap year. */
bool pl_time_is_leap_year(int64_t year);

/* pl_time_days_in_month: 28..31 for `month` 1..12 of `year`; 0 for a bad month. */
int pl_time_days_in_month(int64_t year, int month);

/*
 * pl_time_days_from_civil: days from 1970-01-01 to the given proleptic
 * Gregorian date (negative before it). Does not validate; callers pass a real
 * date with |year| below 2^40.
 */
int64_t pl_time_days_from_civil(int64_t year, int month, int day);

/* pl_time_civil_from_days: the inverse of pl_time_days_from_civil. */
void pl_time_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

#endif
