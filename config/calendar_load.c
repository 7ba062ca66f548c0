/*
 * calendar_load.c: the YAML loader of the business calendars
 * (pl_calendars_load_yaml) and the built-in default.
 *
 * A load runs in three passes:
 *   1. parse: every calendar mapping is read into a draft, key by key from
 *      s_keys, keeping the node of each date so that later checks can point
 *      at it;
 *   2. resolve: in file order, each draft starts from its parent (`extends`)
 *      or from the built-in default, and what it sets replaces that;
 *   3. check and build: checks that need the whole calendar (a make-up day
 *      that is already a working day, a date both holiday and make-up day, a
 *      run of rest days too long for the searches), then the immutable
 *      pl_calendar_t.
 * It goes on after every error so that one run reports them all, and
 * returns the set only if there was none.
 */
#include "config/calendar_internal.h"
#include "config/load_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const s_day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const s_day_full_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                "Friday", "Saturday", "Sunday"};

/* One entry of `holidays` or `workdays`, with where it was written. */
typedef struct {
    pl__cal_range_t r;
    const pl_yaml_node_t *node;
    bool own; /* written in this calendar, not inherited */
} s_date_t;

typedef struct {
    s_date_t *items;
    size_t count;
} s_dates_t;

typedef struct {
    char path[64]; /* "calendar" or "calendars[24x7]", for messages */
    const pl_yaml_node_t *node;
    const char *id;
    int parent; /* index of the draft it extends, -1 for none */
    bool set_tz, set_week, set_hours, set_holidays, set_workdays;
    const pl_tz_t *tz;
    unsigned workweek;
    size_t span_count;
    pl__cal_span_t spans[PL_CALENDAR_MAX_SPANS];
    s_dates_t holidays;
    s_dates_t workdays;
} s_draft_t;

typedef struct {
    pl__load_errors_t errors;
    pl_calendars_t *set; /* owns the zones */
    s_draft_t *drafts;
    size_t draft_count;
} s_ld_t;

#define s_error(ld, node, ...) pl__load_error(&(ld)->errors, (node), PL_ECONFIG, __VA_ARGS__)
#define s_oom(ld, node) pl__load_error(&(ld)->errors, (node), PL_ENOMEM, "out of memory")

static void s_format_day(int64_t day, char *buf, size_t size)
{
    int64_t year;
    int month, mday;
    pl_time_civil_from_days(day, &year, &month, &mday);
    snprintf(buf, size, "%04lld-%02d-%02d", (long long)year, month, mday);
}

static void s_format_range(const pl__cal_range_t *r, char *buf, size_t size)
{
    char a[24], b[24];
    s_format_day(r->first, a, sizeof a);
    if (r->first == r->last) {
        snprintf(buf, size, "%s", a);
    } else {
        s_format_day(r->last, b, sizeof b);
        snprintf(buf, size, "%s..%s", a, b);
    }
}

/* A non-empty string without NUL bytes, or NULL after reporting. */
static const char *s_expect_string(s_ld_t *ld, const char *path, const char *key,
                                   const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SCALAR || pl_yaml_node_is_null(node)) {
        s_error(ld, node, "%s.%s: expected a string, found %s", path, key,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    const char *value = pl_yaml_node_scalar(node);
    if (strlen(value) != pl_yaml_node_scalar_size(node) || !*value) {
        s_error(ld, node, "%s.%s: must be a non-empty string without NUL characters", path, key);
        return NULL;
    }
    return value;
}

/* ---- keys ----------------------------------------------------------------------------------- */

static bool s_id_is_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > PL_CALENDAR_MAX_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.')) {
            return false;
        }
    }
    return true;
}

static void s_parse_id(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    /* Read before the other keys (s_parse_calendar); here only checked. */
    (void)ld;
    (void)d;
    (void)value;
}

static void s_parse_extends(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    const char *id = s_expect_string(ld, d->path, "extends", value);
    if (!id) {
        return;
    }
    size_t self = (size_t)(d - ld->drafts);
    for (size_t i = 0; i < self; i++) {
        if (ld->drafts[i].id && strcmp(ld->drafts[i].id, id) == 0) {
            d->parent = (int)i;
            return;
        }
    }
    s_error(ld, value,
            "%s.extends: unknown calendar \"%.40s\"; a calendar can extend \"default\" or one "
            "listed before it",
            d->path, id);
}

static const pl_tz_t *s_zone(s_ld_t *ld, const char *name, pl_err_t *err)
{
    pl_calendars_t *set = ld->set;
    for (size_t i = 0; i < set->zone_count; i++) {
        if (strcmp(pl_tz_name(set->zones[i]), name) == 0) {
            return set->zones[i];
        }
    }
    pl_tz_t **zones = realloc(set->zones, (set->zone_count + 1) * sizeof *zones);
    if (!zones) {
        pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        return NULL;
    }
    set->zones = zones;
    pl_tz_t *tz = pl_tz_load(name, err);
    if (tz) {
        set->zones[set->zone_count++] = tz;
    }
    return tz;
}

static void s_parse_timezone(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    const char *name = s_expect_string(ld, d->path, "timezone", value);
    if (!name) {
        return;
    }
    pl_err_t err;
    pl_err_clear(&err);
    d->tz = s_zone(ld, name, &err);
    if (!d->tz) {
        if (err.code == PL_ENOMEM) {
            s_oom(ld, value);
        } else {
            s_error(ld, value, "%s.timezone: %s", d->path, err.message);
        }
        return;
    }
    d->set_tz = true;
}

static int s_day_index(const char *name)
{
    for (int i = 0; i < 7; i++) {
        if (strcasecmp(name, s_day_names[i]) == 0 || strcasecmp(name, s_day_full_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static void s_parse_workweek(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    char desc[64];
    if (pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        s_error(ld, value,
                "%s.workweek: expected a list of day names such as [mon, tue, wed, thu, fri], "
                "found %s",
                d->path, pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    unsigned week = 0;
    bool ok = true;
    for (size_t i = 0; i < pl_yaml_node_count(value); i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(value, i);
        const char *name =
            pl_yaml_node_kind(item) == PL_YAML_SCALAR ? pl_yaml_node_scalar(item) : NULL;
        int day = name && strlen(name) == pl_yaml_node_scalar_size(item) ? s_day_index(name) : -1;
        if (day < 0) {
            s_error(ld, item,
                    "%s.workweek: %s is not a day; write mon, tue, wed, thu, fri, sat "
                    "or sun",
                    d->path, pl_yaml_node_describe(item, desc, sizeof desc));
            ok = false;
        } else if (week & (1u << day)) {
            s_error(ld, item, "%s.workweek: %s is listed twice", d->path, s_day_names[day]);
            ok = false;
        } else {
            week |= 1u << day;
        }
    }
    if (ok && week == 0) {
        s_error(ld, value, "%s.workweek: needs at least one working day", d->path);
        ok = false;
    }
    if (ok) {
        d->workweek = week;
        d->set_week = true;
    }
}

/* "H:MM" or "HH:MM" at *p; minutes after midnight, 24:00 allowed. */
static bool s_read_clock(const char **p, int *minutes)
{
    const char *s = *p;
    int h = 0, n = 0;
    while (*s >= '0' && *s <= '9' && n < 2) {
        h = h * 10 + (*s++ - '0');
        n++;
    }
    if (n == 0 || *s != ':' || !(s[1] >= '0' && s[1] <= '9') || !(s[2] >= '0' && s[2] <= '9')) {
        return false;
    }
    int m = (s[1] - '0') * 10 + (s[2] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0)) {
        return false;
    }
    *p = s + 3;
    *minutes = h * 60 + m;
    return true;
}

static bool s_parse_span(s_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                         pl__cal_span_t *span)
{
    char desc[64];
    const char *s = pl_yaml_node_kind(node) == PL_YAML_SCALAR ? pl_yaml_node_scalar(node) : NULL;
    int start = 0, end = 0;
    const char *p = s;
    bool ok = s && strlen(s) == pl_yaml_node_scalar_size(node) && s_read_clock(&p, &start);
    while (ok && *p == ' ') {
        p++;
    }
    ok = ok && *p++ == '-';
    while (ok && *p == ' ') {
        p++;
    }
    ok = ok && s_read_clock(&p, &end) && *p == '\0';
    if (!ok) {
        s_error(ld, node,
                "%s.hours: %s is not a span of working hours such as \"09:00-18:00\" (times "
                "from 00:00 to 24:00)",
                path, pl_yaml_node_describe(node, desc, sizeof desc));
        return false;
    }
    if (start >= end) {
        s_error(ld, node,
                "%s.hours: %s %s; a span cannot cross midnight (working hours after midnight "
                "belong to the next day)",
                path, pl_yaml_node_describe(node, desc, sizeof desc),
                start == end ? "is empty" : "ends before it starts");
        return false;
    }
    span->start = start;
    span->end = end;
    return true;
}

typedef struct {
    pl__cal_span_t span;
    const pl_yaml_node_t *node;
} s_span_item_t;

static int s_span_cmp(const void *a, const void *b)
{
    const s_span_item_t *x = a, *y = b;
    return x->span.start - y->span.start;
}

static void s_parse_hours(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    s_span_item_t items[PL_CALENDAR_MAX_SPANS];
    size_t count = 0;
    bool ok = true;
    if (pl_yaml_node_kind(value) == PL_YAML_SEQUENCE) {
        if (pl_yaml_node_count(value) == 0) {
            s_error(ld, value, "%s.hours: needs at least one span such as \"09:00-18:00\"",
                    d->path);
            return;
        }
        if (pl_yaml_node_count(value) > PL_CALENDAR_MAX_SPANS) {
            s_error(ld, value, "%s.hours: at most %d spans", d->path, PL_CALENDAR_MAX_SPANS);
            return;
        }
        for (size_t i = 0; i < pl_yaml_node_count(value); i++) {
            const pl_yaml_node_t *item = pl_yaml_node_item(value, i);
            if (s_parse_span(ld, d->path, item, &items[count].span)) {
                items[count++].node = item;
            } else {
                ok = false;
            }
        }
    } else if (s_parse_span(ld, d->path, value, &items[0].span)) {
        items[0].node = value;
        count = 1;
    } else {
        ok = false;
    }
    /* Overlaps among the valid spans are reported even if others are bad. */
    qsort(items, count, sizeof items[0], s_span_cmp);
    size_t out = 0;
    const pl_yaml_node_t *last = NULL; /* the span that ends latest so far */
    for (size_t i = 0; i < count; i++) {
        if (out > 0 && items[i].span.start < d->spans[out - 1].end) {
            char desc[64], other[64];
            s_error(ld, items[i].node, "%s.hours: %s overlaps %s", d->path,
                    pl_yaml_node_describe(items[i].node, desc, sizeof desc),
                    pl_yaml_node_describe(last, other, sizeof other));
            ok = false;
            continue;
        }
        if (out > 0 && items[i].span.start == d->spans[out - 1].end) {
            d->spans[out - 1].end = items[i].span.end; /* "08:00-12:00", "12:00-13:00" */
        } else {
            d->spans[out++] = items[i].span;
        }
        last = items[i].node;
    }
    d->span_count = out;
    d->set_hours = ok;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" (spaces allowed around ".."). */
static bool s_parse_date_range(const char *s, pl__cal_range_t *r, bool *reversed)
{
    char first[16], last[16];
    const char *dots = strstr(s, "..");
    size_t n1 = dots ? (size_t)(dots - s) : strlen(s);
    while (n1 > 0 && s[n1 - 1] == ' ') {
        n1--;
    }
    const char *second = dots ? dots + 2 : s;
    while (*second == ' ') {
        second++;
    }
    if (n1 >= sizeof first || strlen(second) >= sizeof last) {
        return false;
    }
    memcpy(first, s, n1);
    first[n1] = '\0';
    strcpy(last, second);
    int y1, m1, d1, y2, m2, d2;
    if (pl_time_parse_date(first, &y1, &m1, &d1) != 0 ||
        pl_time_parse_date(last, &y2, &m2, &d2) != 0) {
        return false;
    }
    r->first = pl_time_days_from_civil(y1, m1, d1);
    r->last = pl_time_days_from_civil(y2, m2, d2);
    *reversed = r->last < r->first;
    return true;
}

static int s_date_cmp(const void *a, const void *b)
{
    const s_date_t *x = a, *y = b;
    if (x->r.first != y->r.first) {
        return x->r.first < y->r.first ? -1 : 1;
    }
    return pl_yaml_node_line(x->node) - pl_yaml_node_line(y->node);
}

static void s_parse_dates(s_ld_t *ld, s_draft_t *d, const char *key, const pl_yaml_node_t *value,
                          s_dates_t *out, bool *set)
{
    char desc[64];
    if (pl_yaml_node_is_null(value)) {
        *set = true; /* "holidays:" with nothing: none, not the parent's */
        return;
    }
    if (pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        s_error(ld, value,
                "%s.%s: expected a list of dates such as [\"2026-10-01..2026-10-07\", "
                "\"2026-12-25\"], found %s",
                d->path, key, pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t n = pl_yaml_node_count(value);
    if (n > PL_CALENDAR_MAX_DATES) {
        s_error(ld, value, "%s.%s: at most %d entries", d->path, key, PL_CALENDAR_MAX_DATES);
        return;
    }
    s_date_t *items = n ? malloc(n * sizeof *items) : NULL;
    if (n && !items) {
        s_oom(ld, value);
        return;
    }
    size_t count = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(value, i);
        const char *s =
            pl_yaml_node_kind(item) == PL_YAML_SCALAR ? pl_yaml_node_scalar(item) : NULL;
        pl__cal_range_t r;
        bool reversed = false;
        if (!s || strlen(s) != pl_yaml_node_scalar_size(item) ||
            !s_parse_date_range(s, &r, &reversed)) {
            s_error(ld, item,
                    "%s.%s: %s is not a date \"YYYY-MM-DD\" or a range "
                    "\"YYYY-MM-DD..YYYY-MM-DD\" of real dates",
                    d->path, key, pl_yaml_node_describe(item, desc, sizeof desc));
            ok = false;
        } else if (reversed) {
            s_error(ld, item, "%s.%s: %s ends before it starts", d->path, key,
                    pl_yaml_node_describe(item, desc, sizeof desc));
            ok = false;
        } else if (r.last - r.first + 1 > PL_CALENDAR_MAX_RANGE_DAYS) {
            s_error(ld, item, "%s.%s: %s is longer than %d days; is a year or a month mistyped?",
                    d->path, key, pl_yaml_node_describe(item, desc, sizeof desc),
                    PL_CALENDAR_MAX_RANGE_DAYS);
            ok = false;
        } else {
            items[count].r = r;
            items[count].node = item;
            items[count++].own = true;
        }
    }
    /* A date listed twice is harmless, but almost always a copy slip (two
     * years' notices pasted over each other): say so. */
    if (count > 1) {
        qsort(items, count, sizeof *items, s_date_cmp);
        size_t widest = 0; /* the entry reaching furthest so far */
        for (size_t i = 1; i < count; i++) {
            if (items[i].r.first <= items[widest].r.last) {
                const s_date_t *a = &items[widest], *b = &items[i];
                if (pl_yaml_node_line(b->node) < pl_yaml_node_line(a->node)) {
                    const s_date_t *t = a;
                    a = b;
                    b = t;
                }
                char ra[64], rb[64];
                s_format_range(&b->r, rb, sizeof rb);
                s_format_range(&a->r, ra, sizeof ra);
                s_error(ld, b->node, "%s.%s: %s overlaps %s (line %d)", d->path, key, rb, ra,
                        pl_yaml_node_line(a->node));
                ok = false;
            }
            if (items[i].r.last > items[widest].r.last) {
                widest = i;
            }
        }
    }
    if (!ok) {
        free(items);
        return;
    }
    out->items = items;
    out->count = count;
    *set = true;
}

static void s_parse_holidays(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    s_parse_dates(ld, d, "holidays", value, &d->holidays, &d->set_holidays);
}

static void s_parse_workdays(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value)
{
    s_parse_dates(ld, d, "workdays", value, &d->workdays, &d->set_workdays);
}

typedef void (*s_key_fn)(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *value);

static const struct {
    const char *name;
    s_key_fn parse;
    bool named_only; /* only in `calendars` entries */
} s_keys[] = {
    {"id", s_parse_id, true},
    {"extends", s_parse_extends, true},
    {"timezone", s_parse_timezone, false},
    {"workweek", s_parse_workweek, false},
    {"hours", s_parse_hours, false},
    {"holidays", s_parse_holidays, false},
    {"workdays", s_parse_workdays, false},
};

#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

static void s_parse_calendar(s_ld_t *ld, s_draft_t *d, const pl_yaml_node_t *node, bool named)
{
    char desc[64];
    d->node = node;
    if (pl_yaml_node_is_null(node)) {
        return;
    }
    if (pl_yaml_node_kind(node) != PL_YAML_MAPPING) {
        s_error(ld, node, "%s: expected a mapping of calendar settings, found %s", d->path,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return;
    }
    for (size_t i = 0; i < pl_yaml_node_count(node); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(node, i);
        const char *name = pl_yaml_node_scalar(key);
        size_t k = 0;
        while (k < S_KEY_COUNT && (strlen(name) != pl_yaml_node_scalar_size(key) ||
                                   strcmp(s_keys[k].name, name) != 0)) {
            k++;
        }
        if (k < S_KEY_COUNT && s_keys[k].named_only && !named) {
            s_error(ld, key,
                    "%s: %s is only for the calendars listed under `calendars`; this one is "
                    "\"default\"",
                    d->path, s_keys[k].name);
            continue;
        }
        if (k == S_KEY_COUNT) {
            s_error(ld, key,
                    "%s: unknown key %s; expected %stimezone, workweek, hours, holidays, "
                    "workdays",
                    d->path, pl_yaml_node_describe(key, desc, sizeof desc),
                    named ? "id, extends, " : "");
            continue;
        }
        s_keys[k].parse(ld, d, pl_yaml_node_value(node, i));
    }
}

/* ---- resolve, check, build ------------------------------------------------------------------ */

static bool s_copy_dates(s_dates_t *to, const s_dates_t *from)
{
    to->items = NULL;
    to->count = 0;
    if (from->count == 0) {
        return true;
    }
    to->items = malloc(from->count * sizeof *to->items);
    if (!to->items) {
        return false;
    }
    for (size_t i = 0; i < from->count; i++) {
        to->items[i] = from->items[i];
        to->items[i].own = false;
    }
    to->count = from->count;
    return true;
}

static void s_resolve(s_ld_t *ld, s_draft_t *d, const s_draft_t *base)
{
    if (!d->set_tz) {
        d->tz = base->tz;
    }
    if (!d->set_week) {
        d->workweek = base->workweek;
    }
    if (!d->set_hours) {
        d->span_count = base->span_count;
        memcpy(d->spans, base->spans, sizeof d->spans);
    }
    bool ok = true;
    if (!d->set_holidays && d->parent >= 0) {
        ok = s_copy_dates(&d->holidays, &base->holidays);
    }
    if (!d->set_workdays && d->parent >= 0) {
        ok = ok && s_copy_dates(&d->workdays, &base->workdays);
    }
    if (!ok) {
        s_oom(ld, d->node);
    }
}

static const s_date_t *s_find_date(const s_dates_t *dates, int64_t day)
{
    for (size_t i = 0; i < dates->count; i++) {
        if (dates->items[i].r.first <= day && day <= dates->items[i].r.last) {
            return &dates->items[i];
        }
    }
    return NULL;
}

/* Make-up days are rest days that are worked; a date that is a working day
 * anyway, or a holiday too, is a slip (a wrong year or month). Only dates
 * written in this calendar are checked; inherited ones were checked in the
 * calendar that wrote them. */
static void s_check_workdays(s_ld_t *ld, const s_draft_t *d, const pl_calendar_t *cal)
{
    for (size_t i = 0; i < d->workdays.count; i++) {
        const s_date_t *w = &d->workdays.items[i];
        if (!w->own && !d->set_holidays) {
            continue; /* both inherited */
        }
        for (int64_t day = w->r.first; day <= w->r.last; day++) {
            char date[24];
            const s_date_t *h =
                pl_calendar_is_holiday(cal, day) ? s_find_date(&d->holidays, day) : NULL;
            if (h && (w->own || h->own)) {
                char range[64];
                s_format_day(day, date, sizeof date);
                s_format_range(&h->r, range, sizeof range);
                s_error(ld, w->own ? w->node : h->node,
                        "%s.%s: %s is both a holiday (%s, line %d) and a make-up working day "
                        "(line %d)",
                        d->path, w->own ? "workdays" : "holidays", date, range,
                        pl_yaml_node_line(h->node), pl_yaml_node_line(w->node));
                break;
            }
            int wd = pl_calendar_weekday(day);
            if (w->own && ((d->workweek >> wd) & 1u)) {
                s_format_day(day, date, sizeof date);
                s_error(ld, w->node,
                        "%s.workdays: %s is a %s, already a working day; list here only rest "
                        "days that are worked (make-up days, 调休), usually a Saturday or "
                        "Sunday",
                        d->path, date, s_day_full_names[wd]);
                break;
            }
        }
    }
}

static pl__cal_range_t *s_ranges(const s_dates_t *dates, size_t *count)
{
    *count = 0;
    if (dates->count == 0) {
        return NULL;
    }
    pl__cal_range_t *r = malloc(dates->count * sizeof *r);
    if (!r) {
        return NULL;
    }
    for (size_t i = 0; i < dates->count; i++) {
        r[i] = dates->items[i].r;
    }
    *count = pl__calendar_normalize_ranges(r, dates->count);
    return r;
}

static pl_calendar_t *s_build(s_ld_t *ld, const s_draft_t *d)
{
    pl_calendar_t *cal = calloc(1, sizeof *cal);
    if (!cal) {
        s_oom(ld, d->node);
        return NULL;
    }
    cal->id = strdup(d->id);
    cal->tz = d->tz;
    cal->workweek = d->workweek;
    cal->span_count = d->span_count;
    memcpy(cal->spans, d->spans, sizeof cal->spans);
    cal->holidays = s_ranges(&d->holidays, &cal->holiday_count);
    cal->workdays = s_ranges(&d->workdays, &cal->workday_count);
    if (!cal->id || (d->holidays.count && !cal->holidays) ||
        (d->workdays.count && !cal->workdays)) {
        s_oom(ld, d->node);
        pl__calendar_free(cal);
        return NULL;
    }
    return cal;
}

/* Every search gives up after PL_CALENDAR_MAX_SEARCH_DAYS days: refuse a
 * calendar with a long run of rest days (holidays next to holidays), which
 * is never meant. Runs can only be long where holidays are. */
static void s_check_rest_runs(s_ld_t *ld, const s_draft_t *d, const pl_calendar_t *cal)
{
    int64_t checked_until = INT64_MIN;
    for (size_t i = 0; i < cal->holiday_count; i++) {
        const pl__cal_range_t *h = &cal->holidays[i];
        if (h->last <= checked_until) {
            continue;
        }
        size_t k;
        int64_t start = h->first;
        while (h->last - start < PL_CALENDAR_MAX_REST_DAYS &&
               !pl_calendar_is_working_day(cal, start - 1)) {
            start = pl__calendar_in_ranges(cal->holidays, cal->holiday_count, start - 1, &k)
                        ? cal->holidays[k].first
                        : start - 1;
        }
        int64_t end = h->last;
        while (end - start < PL_CALENDAR_MAX_REST_DAYS &&
               !pl_calendar_is_working_day(cal, end + 1)) {
            end = pl__calendar_in_ranges(cal->holidays, cal->holiday_count, end + 1, &k)
                      ? cal->holidays[k].last
                      : end + 1;
        }
        checked_until = end;
        if (end - start + 1 > PL_CALENDAR_MAX_REST_DAYS) {
            const s_date_t *at = s_find_date(&d->holidays, h->first);
            char a[24];
            s_format_day(start, a, sizeof a);
            s_error(ld, at ? at->node : d->node,
                    "%s.holidays: no working day for more than %d days from %s; check the "
                    "holidays and the workweek",
                    d->path, PL_CALENDAR_MAX_REST_DAYS, a);
        }
    }
}

static void s_draft_free(s_draft_t *d)
{
    free(d->holidays.items);
    free(d->workdays.items);
}

/* Reads the `calendars` list into drafts 1.. (draft 0 is the default). */
static void s_parse_named(s_ld_t *ld, const pl_yaml_node_t *list)
{
    char desc[64];
    for (size_t i = 0; i < pl_yaml_node_count(list); i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(list, i);
        s_draft_t *d = &ld->drafts[ld->draft_count];
        d->parent = -1;
        snprintf(d->path, sizeof d->path, "calendars[%zu]", i + 1);
        if (pl_yaml_node_kind(item) != PL_YAML_MAPPING) {
            s_error(ld, item, "%s: expected a mapping with an id, found %s", d->path,
                    pl_yaml_node_describe(item, desc, sizeof desc));
            continue;
        }
        const pl_yaml_node_t *id_node = pl_yaml_node_get(item, "id");
        const char *id = NULL;
        if (!id_node) {
            s_error(ld, item, "%s: missing id", d->path);
        } else if ((id = s_expect_string(ld, d->path, "id", id_node)) != NULL) {
            if (!s_id_is_valid(id)) {
                s_error(ld, id_node,
                        "%s.id: %s is not an id (1 to %d letters, digits, '_', '-' or '.')",
                        d->path, pl_yaml_node_describe(id_node, desc, sizeof desc),
                        PL_CALENDAR_MAX_ID);
                id = NULL;
            } else {
                for (size_t j = 0; j < ld->draft_count; j++) {
                    if (ld->drafts[j].id && strcmp(ld->drafts[j].id, id) == 0) {
                        s_error(ld, id_node, "%s.id: \"%s\" is used twice%s", d->path, id,
                                j == 0 ? " (\"default\" is the calendar under `calendar`)" : "");
                        id = NULL;
                        break;
                    }
                }
            }
        }
        if (id) {
            d->id = id;
            snprintf(d->path, sizeof d->path, "calendars[%s]", id);
        }
        ld->draft_count++;
        s_parse_calendar(ld, d, item, true);
    }
}

pl_calendars_t *pl_calendars_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                       pl_calendar_report_fn report, void *arg)
{
    char desc[64];
    s_ld_t ld = {.errors = {.doc = doc, .report = report, .arg = arg}};
    bool is_map = root && pl_yaml_node_kind(root) == PL_YAML_MAPPING;
    const pl_yaml_node_t *single = is_map ? pl_yaml_node_get(root, "calendar") : NULL;
    const pl_yaml_node_t *list = is_map ? pl_yaml_node_get(root, "calendars") : NULL;
    size_t named = 0;
    if (list && !pl_yaml_node_is_null(list)) {
        if (pl_yaml_node_kind(list) != PL_YAML_SEQUENCE) {
            s_error(&ld, list, "calendars: expected a list of calendars, each with an id, found %s",
                    pl_yaml_node_describe(list, desc, sizeof desc));
            return NULL;
        }
        named = pl_yaml_node_count(list);
        if (named > PL_CALENDAR_MAX_CALENDARS - 1) {
            s_error(&ld, list, "calendars: at most %d calendars", PL_CALENDAR_MAX_CALENDARS - 1);
            return NULL;
        }
    }
    ld.set = calloc(1, sizeof *ld.set);
    ld.drafts = calloc(named + 1, sizeof *ld.drafts);
    if (!ld.set || !ld.drafts) {
        s_oom(&ld, NULL);
        goto cleanup;
    }

    /* 1. parse */
    s_draft_t *def = &ld.drafts[0];
    def->id = PL_CALENDAR_DEFAULT_ID;
    def->parent = -1;
    snprintf(def->path, sizeof def->path, "calendar");
    ld.draft_count = 1;
    if (single) {
        s_parse_calendar(&ld, def, single, false);
    }
    if (named) {
        s_parse_named(&ld, list);
    }

    /* 2. resolve: the built-in default under the default, the default's zone
     * under named calendars without a parent. */
    s_draft_t builtin = {.workweek = PL_CALENDAR_MON | PL_CALENDAR_TUE | PL_CALENDAR_WED |
                                     PL_CALENDAR_THU | PL_CALENDAR_FRI,
                         .span_count = 1,
                         .spans = {{9 * 60, 18 * 60}}};
    if (!def->set_tz && !(single && pl_yaml_node_get(single, "timezone"))) {
        pl_err_t err;
        pl_err_clear(&err);
        builtin.tz = s_zone(&ld, PL_CALENDAR_DEFAULT_TIMEZONE, &err);
        if (!builtin.tz) {
            s_error(&ld, single,
                    "calendar: the default time zone %s: %s; install the zone "
                    "database (tzdata) or set calendar.timezone",
                    PL_CALENDAR_DEFAULT_TIMEZONE, err.message);
        }
    }
    s_resolve(&ld, def, &builtin);
    builtin.tz = def->tz;
    for (size_t i = 1; i < ld.draft_count; i++) {
        s_draft_t *d = &ld.drafts[i];
        s_resolve(&ld, d, d->parent >= 0 ? &ld.drafts[d->parent] : &builtin);
    }
    if (ld.errors.count) {
        goto cleanup;
    }

    /* 3. check and build */
    ld.set->items = calloc(ld.draft_count, sizeof *ld.set->items);
    if (!ld.set->items) {
        s_oom(&ld, NULL);
        goto cleanup;
    }
    for (size_t i = 0; i < ld.draft_count; i++) {
        s_draft_t *d = &ld.drafts[i];
        pl_calendar_t *cal = s_build(&ld, d);
        if (!cal) {
            continue;
        }
        ld.set->items[ld.set->count++] = cal;
        s_check_workdays(&ld, d, cal);
        if (d->parent < 0 || d->set_week || d->set_holidays || d->set_workdays) {
            s_check_rest_runs(&ld, d, cal);
        }
    }
cleanup:
    for (size_t i = 0; i < ld.draft_count; i++) {
        s_draft_free(&ld.drafts[i]);
    }
    free(ld.drafts);
    if (ld.errors.count) {
        pl_calendars_destroy(&ld.set);
    }
    return ld.set;
}

pl_calendars_t *pl_calendars_new_default(pl_err_t *err)
{
    pl_tz_t *tz = pl_tz_load(PL_CALENDAR_DEFAULT_TIMEZONE, err);
    if (!tz) {
        return NULL;
    }
    pl_calendars_t *set = calloc(1, sizeof *set);
    pl_calendar_t *cal = calloc(1, sizeof *cal);
    if (set) {
        set->items = calloc(1, sizeof *set->items);
        set->zones = calloc(1, sizeof *set->zones);
    }
    if (cal) {
        cal->id = strdup(PL_CALENDAR_DEFAULT_ID);
    }
    if (!set || !set->items || !set->zones || !cal || !cal->id) {
        pl__calendar_free(cal);
        pl_calendars_destroy(&set);
        pl_tz_destroy(&tz);
        pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        return NULL;
    }
    cal->tz = tz;
    cal->workweek =
        PL_CALENDAR_MON | PL_CALENDAR_TUE | PL_CALENDAR_WED | PL_CALENDAR_THU | PL_CALENDAR_FRI;
    cal->span_count = 1;
    cal->spans[0] = (pl__cal_span_t){9 * 60, 18 * 60};
    set->zones[set->zone_count++] = tz;
    set->items[set->count++] = cal;
    return set;
}
