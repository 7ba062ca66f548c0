/*
 * calendar_internal.h: the layout of a calendar and of a calendar set,
 * shared by calendar.c (arithmetic, durations) and calendar_load.c (the
 * YAML loader). Never included outside config/calendar*.c.
 */
#ifndef PL_CALENDAR_INTERNAL_H
#define PL_CALENDAR_INTERNAL_H

#include "config/calendar.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An inclusive range of local days (days since 1970-01-01). */
typedef struct pl__cal_range {
    int64_t first;
    int64_t last;
} pl__cal_range_t;

typedef struct pl__cal_span {
    int start; /* minutes after local midnight, 0..1439 */
    int end;   /* 1..1440, > start */
} pl__cal_span_t;

struct pl_calendar {
    char *id;
    const pl_tz_t *tz;                           /* owned by the set */
    unsigned workweek;                           /* PL_CALENDAR_MON | ... */
    size_t span_count;                           /* >= 1 */
    pl__cal_span_t spans[PL_CALENDAR_MAX_SPANS]; /* sorted, disjoint, not touching */
    pl__cal_range_t *holidays;                   /* sorted, disjoint, not touching */
    size_t holiday_count;
    pl__cal_range_t *workdays; /* the same */
    size_t workday_count;
};

struct pl_calendars {
    pl_calendar_t **items; /* items[0] is the default */
    size_t count;
    pl_tz_t **zones; /* every zone the calendars use, once each */
    size_t zone_count;
};

/* pl__calendar_free: frees one calendar (not its zone); accepts NULL. */
void pl__calendar_free(pl_calendar_t *cal);

/* pl__calendar_normalize_ranges: sorts `ranges` and merges those that
 * overlap or touch, in place; returns the new count. */
size_t pl__calendar_normalize_ranges(pl__cal_range_t *ranges, size_t count);

/* pl__calendar_in_ranges: whether `day` lies in one of the normalized
 * `ranges`; the index of that range goes to *index (may be NULL). */
bool pl__calendar_in_ranges(const pl__cal_range_t *ranges, size_t count, int64_t day,
                            size_t *index);

#endif
