#include "common/pl_time.h"

#include "common/pl_err.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

pl_usec_t (*pl_now_fn)(void) = pl_time_realtime_usec;

static pl_usec_t s_clock_usec(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) {
        /* Only possible with an unsupported clock id; both ids used here are POSIX. */
        return 0;
    }
    return (pl_usec_t)ts.tv_sec * PL_USEC_PER_SEC + (pl_usec_t)(ts.tv_nsec / 1000);
}

pl_usec_t pl_time_realtime_usec(void)
{
    return s_clock_usec(CLOCK_REALTIME);
}

pl_usec_t pl_monotonic_usec(void)
{
    return s_clock_usec(CLOCK_MONOTONIC);
}

pl_usec_t pl_now(void)
{
    return pl_now_fn ? pl_now_fn() : pl_time_realtime_usec();
}

bool pl_time_is_leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int pl_time_days_in_month(int64_t year, int month)
{
    static const int s_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) {
        return 0;
    }
    if (month == 2 && pl_time_is_leap_year(year)) {
        return 29;
    }
    return s_days[month - 1];
}

/*
 * Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html): eras of 400 years
 * (146097 days) starting on March 1st, so the leap day is the last of a year.
 */
int64_t pl_time_days_from_civil(int64_t year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                                 /* [0, 399] */
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                         /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void pl_time_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = yoe + era * 400 + (m <= 2);
}

/* Reads exactly `n` ASCII digits at *p into *value and advances *p. */
static bool s_digits(const char **p, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += n;
    *value = v;
    return true;
}

/* Parses "YYYY-MM-DD" at *p and advances *p past it; the date is validated. */
static bool s_parse_date(const char **p, int *year, int *month, int *day)
{
    const char *q = *p;
    int y, m, d;
    if (!s_digits(&q, 4, &y) || *q++ != '-' || !s_digits(&q, 2, &m) || *q++ != '-' ||
        !s_digits(&q, 2, &d)) {
        return false;
    }
    if (m < 1 || m > 12 || d < 1 || d > pl_time_days_in_month(y, m)) {
        return false;
    }
    *p = q;
    *year = y;
    *month = m;
    *day = d;
    return true;
}

int pl_time_parse_date(const char *s, int *year, int *month, int *day)
{
    int y, m, d;
    if (!s || !year || !month || !day) {
        return PL_EINVAL;
    }
    if (!s_parse_date(&s, &y, &m, &d) || *s != '\0') {
        return PL_EINVAL;
    }
    *year = y;
    *month = m;
    *day = d;
    return 0;
}

int pl_time_parse_rfc3339(const char *s, pl_usec_t *out)
{
    int year, month, day, hour, min, sec;
    if (!s || !out) {
        return PL_EINVAL;
    }
    const char *p = s;
    if (!s_parse_date(&p, &year, &month, &day)) {
        return PL_EINVAL;
    }
    /* RFC 3339 section 5.6 allows a space "for the sake of readability". */
    if (*p != 'T' && *p != 't' && *p != ' ') {
        return PL_EINVAL;
    }
    p++;
    if (!s_digits(&p, 2, &hour) || *p++ != ':' || !s_digits(&p, 2, &min) || *p++ != ':' ||
        !s_digits(&p, 2, &sec)) {
        return PL_EINVAL;
    }
    /* A leap second cannot be represented in POSIX time; refuse it rather than guess. */
    if (hour > 23 || min > 59 || sec > 59) {
        return PL_EINVAL;
    }
    int64_t usec = 0;
    if (*p == '.') {
        p++;
        int ndigits = 0;
        while (*p >= '0' && *p <= '9') {
            if (++ndigits > 9) {
                return PL_EINVAL;
            }
            if (ndigits <= 6) {
                usec = usec * 10 + (*p - '0');
            }
            p++;
        }
        if (ndigits == 0) {
            return PL_EINVAL;
        }
        for (int i = ndigits; i < 6; i++) {
            usec *= 10;
        }
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        p++;
        if (!s_digits(&p, 2, &oh) || *p++ != ':' || !s_digits(&p, 2, &om)) {
            return PL_EINVAL;
        }
        if (oh > 23 || om > 59) {
            return PL_EINVAL;
        }
        offset_min = sign * (oh * 60 + om);
    } else {
        return PL_EINVAL;
    }
    if (*p != '\0') {
        return PL_EINVAL;
    }
    /* The written time is local time at the offset; UTC = local - offset. */
    int64_t secs = pl_time_days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 +
                   sec - offset_min * 60;
    *out = secs * PL_USEC_PER_SEC + usec;
    return 0;
}

size_t pl_time_format_rfc3339(pl_usec_t t, char *buf, size_t size)
{
    if (!buf || size == 0) {
        return 0;
    }
    /* Floor division, so that times before 1970 get a positive time of day. */
    int64_t secs = t / PL_USEC_PER_SEC;
    int64_t usec = t % PL_USEC_PER_SEC;
    if (usec < 0) {
        usec += PL_USEC_PER_SEC;
        secs -= 1;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int64_t year;
    int month, day;
    pl_time_civil_from_days(days, &year, &month, &day);
    int hour = (int)(sod / 3600);
    int min = (int)(sod / 60 % 60);
    int sec = (int)(sod % 60);

    char ybuf[24];
    if (year < 0) {
        snprintf(ybuf, sizeof ybuf, "-%04" PRId64, -year);
    } else {
        snprintf(ybuf, sizeof ybuf, "%04" PRId64, year);
    }
    int n;
    if (usec == 0) {
        n = snprintf(buf, size, "%s-%02d-%02dT%02d:%02d:%02dZ", ybuf, month, day, hour, min, sec);
    } else {
        n = snprintf(buf, size, "%s-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z", ybuf, month, day,
                     hour, min, sec, usec);
    }
    if (n < 0 || (size_t)n >= size) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}
