/*
 * calendar.c: working days, working time and deadlines on a loaded
 * calendar, and durations ("2h", "4 business hours", "2 working days").
 *
 * Every search walks local days upwards. On each working day, span i is the
 * UTC interval [to_utc(day + start_i), to_utc(day + end_i)); pl_tz_to_utc()
 * never decreases, so these intervals come out ordered and disjoint across
 * spans and days, and a walk can stop at the first one that does the job.
 * A walk starts one day before the local day of its instant (a cheap
 * safety margin around daylight-saving changes) and gives up after
 * PL_CALENDAR_MAX_SEARCH_DAYS days.
 */
#include "config/calendar_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The instants the arithmetic accepts: years 0001..9999 in UTC. */
#define S_MIN_USEC (INT64_C(-62135596800) * PL_USEC_PER_SEC)
#define S_MAX_USEC (INT64_C(253402300799) * PL_USEC_PER_SEC)

/* ---- ranges --------------------------------------------------------------------------------- */

static int s_range_cmp(const void *a, const void *b)
{
    const pl__cal_range_t *x = a, *y = b;
    if (x->first != y->first) {
        return x->first < y->first ? -1 : 1;
    }
    return x->last < y->last ? -1 : x->last > y->last;
}

size_t pl__calendar_normalize_ranges(pl__cal_range_t *ranges, size_t count)
{
    if (count == 0) {
        return 0;
    }
    qsort(ranges, count, sizeof *ranges, s_range_cmp);
    size_t out = 0;
    for (size_t i = 1; i < count; i++) {
        if (ranges[i].first <= ranges[out].last + 1) {
            if (ranges[i].last > ranges[out].last) {
                ranges[out].last = ranges[i].last;
            }
        } else {
            ranges[++out] = ranges[i];
        }
    }
    return out + 1;
}

bool pl__calendar_in_ranges(const pl__cal_range_t *ranges, size_t count, int64_t day, size_t *index)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ranges[mid].last < day) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < count && ranges[lo].first <= day) {
        if (index) {
            *index = lo;
        }
        return true;
    }
    return false;
}

/* ---- one calendar --------------------------------------------------------------------------- */

void pl__calendar_free(pl_calendar_t *cal)
{
    if (!cal) {
        return;
    }
    free(cal->id);
    free(cal->holidays);
    free(cal->workdays);
    free(cal);
}

const char *pl_calendar_id(const pl_calendar_t *cal)
{
    return cal->id;
}

const pl_tz_t *pl_calendar_tz(const pl_calendar_t *cal)
{
    return cal->tz;
}

unsigned pl_calendar_workweek(const pl_calendar_t *cal)
{
    return cal->workweek;
}

size_t pl_calendar_span_count(const pl_calendar_t *cal)
{
    return cal->span_count;
}

void pl_calendar_span(const pl_calendar_t *cal, size_t i, int *start_min, int *end_min)
{
    *start_min = i < cal->span_count ? cal->spans[i].start : 0;
    *end_min = i < cal->span_count ? cal->spans[i].end : 0;
}

int64_t pl_calendar_last_listed_year(const pl_calendar_t *cal)
{
    int64_t last = INT64_MIN;
    if (cal->holiday_count) {
        last = cal->holidays[cal->holiday_count - 1].last;
    }
    if (cal->workday_count && cal->workdays[cal->workday_count - 1].last > last) {
        last = cal->workdays[cal->workday_count - 1].last;
    }
    if (last == INT64_MIN) {
        return 0;
    }
    int64_t year;
    int month, day;
    pl_time_civil_from_days(last, &year, &month, &day);
    return year;
}

int pl_calendar_weekday(int64_t day)
{
    return (int)(((day % 7) + 7 + 3) % 7);
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

int64_t pl_calendar_local_day(const pl_calendar_t *cal, pl_usec_t t)
{
    return s_floor_div(pl_tz_local_seconds(cal->tz, t), 86400);
}

bool pl_calendar_is_holiday(const pl_calendar_t *cal, int64_t day)
{
    return pl__calendar_in_ranges(cal->holidays, cal->holiday_count, day, NULL);
}

bool pl_calendar_is_makeup_day(const pl_calendar_t *cal, int64_t day)
{
    return pl__calendar_in_ranges(cal->workdays, cal->workday_count, day, NULL);
}

bool pl_calendar_is_working_day(const pl_calendar_t *cal, int64_t day)
{
    if (pl_calendar_is_holiday(cal, day)) {
        return false;
    }
    if (pl_calendar_is_makeup_day(cal, day)) {
        return true;
    }
    return (cal->workweek >> pl_calendar_weekday(day)) & 1u;
}

static bool s_in_range(pl_usec_t t)
{
    return t >= S_MIN_USEC && t <= S_MAX_USEC;
}

/* Span `i` of local day `day` as a UTC interval [*a, *b); may be empty
 * when the span lies inside a daylight-saving gap. */
static void s_span_utc(const pl_calendar_t *cal, int64_t day, size_t i, pl_usec_t *a, pl_usec_t *b)
{
    *a = pl_tz_to_utc(cal->tz, day * 86400 + cal->spans[i].start * 60);
    *b = pl_tz_to_utc(cal->tz, day * 86400 + cal->spans[i].end * 60);
}

bool pl_calendar_is_working_time(const pl_calendar_t *cal, pl_usec_t t)
{
    if (!cal || !s_in_range(t)) {
        return false;
    }
    int64_t day0 = pl_calendar_local_day(cal, t);
    for (int64_t day = day0 - 1; day <= day0 + 1; day++) {
        if (!pl_calendar_is_working_day(cal, day)) {
            continue;
        }
        for (size_t i = 0; i < cal->span_count; i++) {
            pl_usec_t a, b;
            s_span_utc(cal, day, i, &a, &b);
            if (a <= t && t < b) {
                return true;
            }
        }
    }
    return false;
}

pl_usec_t pl_calendar_next_working_time(const pl_calendar_t *cal, pl_usec_t t)
{
    if (!cal || !s_in_range(t)) {
        return PL_CALENDAR_NEVER;
    }
    int64_t day = pl_calendar_local_day(cal, t) - 1;
    for (int n = 0; n <= PL_CALENDAR_MAX_SEARCH_DAYS; n++, day++) {
        if (!pl_calendar_is_working_day(cal, day)) {
            continue;
        }
        for (size_t i = 0; i < cal->span_count; i++) {
            pl_usec_t a, b;
            s_span_utc(cal, day, i, &a, &b);
            if (b > t && a < b) {
                return a > t ? a : t;
            }
        }
    }
    return PL_CALENDAR_NEVER;
}

pl_usec_t pl_calendar_add_business(const pl_calendar_t *cal, pl_usec_t start, pl_usec_t amount)
{
    if (!cal || !s_in_range(start)) {
        return PL_CALENDAR_NEVER;
    }
    if (amount <= 0) {
        return start;
    }
    int64_t day = pl_calendar_local_day(cal, start) - 1;
    for (int n = 0; n <= PL_CALENDAR_MAX_SEARCH_DAYS; n++, day++) {
        if (!pl_calendar_is_working_day(cal, day)) {
            continue;
        }
        for (size_t i = 0; i < cal->span_count; i++) {
            pl_usec_t a, b;
            s_span_utc(cal, day, i, &a, &b);
            if (b <= start) {
                continue;
            }
            if (a < start) {
                a = start;
            }
            if (b - a >= amount) {
                return a + amount;
            }
            amount -= b - a;
        }
    }
    return PL_CALENDAR_NEVER;
}

pl_usec_t pl_calendar_add_working_days(const pl_calendar_t *cal, pl_usec_t start, int days)
{
    if (!cal || !s_in_range(start)) {
        return PL_CALENDAR_NEVER;
    }
    if (days <= 0) {
        return start;
    }
    int64_t received = pl_calendar_local_day(cal, start);
    int counted = 0;
    for (int64_t day = received + 1; day <= received + PL_CALENDAR_MAX_SEARCH_DAYS; day++) {
        if (pl_calendar_is_working_day(cal, day) && ++counted == days) {
            int close = cal->spans[cal->span_count - 1].end;
            return pl_tz_to_utc(cal->tz, day * 86400 + close * 60);
        }
    }
    return PL_CALENDAR_NEVER;
}

pl_usec_t pl_calendar_business_between(const pl_calendar_t *cal, pl_usec_t a, pl_usec_t b)
{
    if (!cal || !s_in_range(a) || !s_in_range(b)) {
        return -1;
    }
    if (b <= a) {
        return 0;
    }
    int64_t first = pl_calendar_local_day(cal, a) - 1;
    int64_t last = pl_calendar_local_day(cal, b) + 1;
    if (last - first > PL_CALENDAR_MAX_SEARCH_DAYS + 2) {
        return -1;
    }
    pl_usec_t total = 0;
    for (int64_t day = first; day <= last; day++) {
        if (!pl_calendar_is_working_day(cal, day)) {
            continue;
        }
        for (size_t i = 0; i < cal->span_count; i++) {
            pl_usec_t x, y;
            s_span_utc(cal, day, i, &x, &y);
            if (x < a) {
                x = a;
            }
            if (y > b) {
                y = b;
            }
            if (x < y) {
                total += y - x;
            }
        }
    }
    return total;
}

/* ---- calendar sets -------------------------------------------------------------------------- */

void pl_calendars_destroy(pl_calendars_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_calendars_t *set = *self_p;
    for (size_t i = 0; i < set->count; i++) {
        pl__calendar_free(set->items[i]);
    }
    free(set->items);
    for (size_t i = 0; i < set->zone_count; i++) {
        pl_tz_destroy(&set->zones[i]);
    }
    free(set->zones);
    free(set);
    *self_p = NULL;
}

const pl_calendar_t *pl_calendars_get(const pl_calendars_t *set, const char *id)
{
    if (!set || set->count == 0) {
        return NULL;
    }
    if (!id) {
        return set->items[0];
    }
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->items[i]->id, id) == 0) {
            return set->items[i];
        }
    }
    return NULL;
}

size_t pl_calendars_count(const pl_calendars_t *set)
{
    return set ? set->count : 0;
}

const pl_calendar_t *pl_calendars_at(const pl_calendars_t *set, size_t i)
{
    return set && i < set->count ? set->items[i] : NULL;
}

/* ---- durations ------------------------------------------------------------------------------ */

static const char *const s_duration_hint =
    "write \"2h\", \"30m\", \"1h30m\", \"2d\", \"4 business hours\", \"30 business minutes\" "
    "or \"2 working days\"";

static bool s_is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Reads 1..9 digits (no sign) at *p. */
static bool s_read_amount(const char **p, int64_t *out)
{
    const char *s = *p;
    int64_t value = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > 9) {
            return false;
        }
        value = value * 10 + (*s - '0');
        s++;
    }
    if (n == 0) {
        return false;
    }
    *p = s;
    *out = value;
    return true;
}

/* Reads one word of lower-case letters at *p into `word`. */
static bool s_read_word(const char **p, char *word, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    while (*s >= 'a' && *s <= 'z') {
        if (n + 1 >= size) {
            return false;
        }
        word[n++] = *s++;
    }
    word[n] = '\0';
    *p = s;
    return n > 0;
}

static int s_duration_bad(pl_err_t *err, const char *s)
{
    return pl_err_set(err, PL_EINVAL, "bad_duration", NULL, "\"%.60s\" is not a duration; %s", s,
                      s_duration_hint);
}

/* "1h30m": units d, h, m, s in that order, each at most once. */
static int s_parse_real(const char *s, const char *p, const char *end, pl_duration_t *out,
                        pl_err_t *err)
{
    static const char units[] = "dhms";
    static const int64_t usec[] = {PL_USEC_PER_DAY, PL_USEC_PER_HOUR, PL_USEC_PER_MIN,
                                   PL_USEC_PER_SEC};
    int64_t total = 0;
    int next_unit = 0;
    while (p < end) {
        int64_t amount;
        if (!s_read_amount(&p, &amount) || p >= end) {
            return s_duration_bad(err, s);
        }
        const char *u = strchr(units, *p);
        if (!*p || !u || (int)(u - units) < next_unit) {
            return s_duration_bad(err, s);
        }
        next_unit = (int)(u - units) + 1;
        if (amount > PL_DURATION_MAX_REAL / usec[u - units]) {
            return pl_err_set(err, PL_EINVAL, "bad_duration", NULL, "\"%.60s\": at most 366 days",
                              s);
        }
        total += amount * usec[u - units]; /* four terms, each at most 366 days */
        p++;
    }
    if (total <= 0) {
        return pl_err_set(err, PL_EINVAL, "bad_duration", NULL, "\"%.60s\": must be positive", s);
    }
    if (total > PL_DURATION_MAX_REAL) {
        return pl_err_set(err, PL_EINVAL, "bad_duration", NULL, "\"%.60s\": at most 366 days", s);
    }
    out->kind = PL_DURATION_REAL;
    out->amount = total;
    return 0;
}

int pl_duration_parse(const char *s, pl_duration_t *out, pl_err_t *err)
{
    if (!s || !out) {
        return pl_err_set(err, PL_EINVAL, "bad_duration", NULL, "no duration given");
    }
    const char *p = s;
    while (s_is_space(*p)) {
        p++;
    }
    const char *end = p + strlen(p);
    while (end > p && s_is_space(end[-1])) {
        end--;
    }
    /* "2h" and "1h30m" have a letter right after the first number. */
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9') {
        q++;
    }
    if (q < end && q > p && !s_is_space(*q)) {
        return s_parse_real(s, p, end, out, err);
    }
    int64_t amount;
    char w1[16], w2[16];
    if (!s_read_amount(&p, &amount) || !s_is_space(*p)) {
        return s_duration_bad(err, s);
    }
    while (s_is_space(*p)) {
        p++;
    }
    if (!s_read_word(&p, w1, sizeof w1) || !s_is_space(*p)) {
        return s_duration_bad(err, s);
    }
    while (s_is_space(*p)) {
        p++;
    }
    if (!s_read_word(&p, w2, sizeof w2) || p != end) {
        return s_duration_bad(err, s);
    }
    bool business = strcmp(w1, "business") == 0;
    bool working = strcmp(w1, "working") == 0;
    bool hours = strcmp(w2, "hours") == 0 || strcmp(w2, "hour") == 0;
    bool minutes = strcmp(w2, "minutes") == 0 || strcmp(w2, "minute") == 0;
    bool days = strcmp(w2, "days") == 0 || strcmp(w2, "day") == 0;
    pl_duration_t d;
    if ((business || working) && days) {
        d.kind = PL_DURATION_WORKING_DAYS;
        d.amount = amount;
        if (amount > PL_DURATION_MAX_WORKING_DAYS) {
            return pl_err_set(err, PL_EINVAL, "bad_duration", NULL,
                              "\"%.60s\": at most %d working days", s,
                              PL_DURATION_MAX_WORKING_DAYS);
        }
    } else if (business && (hours || minutes)) {
        d.kind = PL_DURATION_BUSINESS;
        d.amount = amount * (hours ? PL_USEC_PER_HOUR : PL_USEC_PER_MIN);
        if (d.amount > PL_DURATION_MAX_BUSINESS) {
            return pl_err_set(err, PL_EINVAL, "bad_duration", NULL,
                              "\"%.60s\": at most 2000 business hours", s);
        }
    } else if (working && (hours || minutes)) {
        return pl_err_set(err, PL_EINVAL, "bad_duration", NULL,
                          "\"%.60s\": working time is written \"%lld business %s\"", s,
                          (long long)amount, w2);
    } else {
        return s_duration_bad(err, s);
    }
    if (amount == 0) {
        return pl_err_set(err, PL_EINVAL, "bad_duration", NULL, "\"%.60s\": must be positive", s);
    }
    *out = d;
    return 0;
}

pl_usec_t pl_duration_apply(const pl_duration_t *d, const pl_calendar_t *cal, pl_usec_t start)
{
    if (!d) {
        return PL_CALENDAR_NEVER;
    }
    switch (d->kind) {
    case PL_DURATION_REAL:
        if ((d->amount > 0 && start > INT64_MAX - 1 - d->amount) ||
            (d->amount < 0 && start < INT64_MIN - d->amount)) {
            return PL_CALENDAR_NEVER;
        }
        return start + d->amount;
    case PL_DURATION_BUSINESS:
        return cal ? pl_calendar_add_business(cal, start, d->amount) : PL_CALENDAR_NEVER;
    case PL_DURATION_WORKING_DAYS:
        if (!cal || d->amount > INT32_MAX) {
            return PL_CALENDAR_NEVER;
        }
        return pl_calendar_add_working_days(cal, start, d->amount < 0 ? 0 : (int)d->amount);
    }
    return PL_CALENDAR_NEVER;
}

char *pl_duration_format(const pl_duration_t *d, char *buf, size_t size)
{
    if (!buf || size == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (!d) {
        return buf;
    }
    long long amount = (long long)d->amount;
    switch (d->kind) {
    case PL_DURATION_REAL: {
        long long secs = amount / PL_USEC_PER_SEC;
        long long parts[] = {secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60};
        const char units[] = "dhms";
        size_t used = 0;
        for (int i = 0; i < 4 && used < size; i++) {
            if (parts[i] != 0 || (i == 3 && used == 0)) {
                used += (size_t)snprintf(buf + used, size - used, "%lld%c", parts[i], units[i]);
            }
        }
        break;
    }
    case PL_DURATION_BUSINESS:
        if (amount % PL_USEC_PER_HOUR == 0) {
            long long h = amount / PL_USEC_PER_HOUR;
            snprintf(buf, size, "%lld business hour%s", h, h == 1 ? "" : "s");
        } else {
            long long m = amount / PL_USEC_PER_MIN;
            snprintf(buf, size, "%lld business minute%s", m, m == 1 ? "" : "s");
        }
        break;
    case PL_DURATION_WORKING_DAYS:
        snprintf(buf, size, "%lld working day%s", amount, amount == 1 ? "" : "s");
        break;
    }
    return buf;
}
