/*
 * tz.c: TZif reader (RFC 8536, RFC 9636) and the POSIX TZ rules of its
 * footer.
 *
 * A zone is a table of transitions (UTC instant -> offset in force from it)
 * plus, for instants after the last one, a POSIX TZ rule that repeats every
 * year. Both are consulted only through two functions: s_offset() (the
 * offset at an instant) and s_next_change() (the next instant at which the
 * offset may change). pl_tz_to_utc() walks the intervals of constant offset
 * with them.
 */
#include "config/tz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_DEFAULT_TZDIR "/usr/share/zoneinfo"

enum {
    S_HEADER_SIZE = 44,
    S_MAX_TYPES = 256,       /* type indices are one byte */
    S_MAX_RULE_HOURS = 167,  /* RFC 9636: rule times from -167 to 167 hours */
    S_MAX_OFFSET_HOURS = 24, /* POSIX: offsets of the TZ string up to 24 hours */
    S_RULE_STEPS = 8,        /* changes of a TZ rule within any +-26 h window, and more */
};

/* One date rule of a POSIX TZ string: "Jn" (1..365, February 29 never
 * counted), "n" (0..365, counted) or "Mm.w.d" (day d of week w of month m;
 * week 5 is the last), plus the local time of day of the change. */
typedef struct {
    char kind; /* 'J', 'N' or 'M' */
    int day;
    int month, week, wday;
    int32_t time; /* seconds after local midnight; -167h..167h */
} s_rule_t;

typedef struct {
    bool present;    /* a non-empty TZ string */
    int32_t std_off; /* seconds east of UTC */
    bool has_dst;
    int32_t dst_off;
    s_rule_t start; /* in local standard time */
    s_rule_t end;   /* in local daylight time */
} s_posix_t;

struct pl_tz {
    char *name;
    size_t count;      /* transitions */
    int64_t *at;       /* UTC seconds, strictly increasing */
    int32_t *off;      /* offset in force from at[i] on */
    int32_t first_off; /* before at[0]: time type 0 */
    s_posix_t posix;   /* after at[count - 1] (or always, if count == 0) */
};

/* ---- small helpers -------------------------------------------------------------------------- */

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t s_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static bool s_name_is_valid(const char *name)
{
    size_t size = strlen(name);
    if (size == 0 || size > PL_TZ_MAX_NAME) {
        return false;
    }
    bool at_component_start = true;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        bool letter = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
        if (at_component_start) {
            if (!letter) {
                return false;
            }
            at_component_start = false;
        } else if (ch == '/') {
            at_component_start = true;
        } else if (!letter && !(ch >= '0' && ch <= '9') && !strchr("_+-", ch)) {
            return false;
        }
    }
    return !at_component_start;
}

static pl_tz_t *s_new(const char *name)
{
    pl_tz_t *tz = calloc(1, sizeof *tz);
    if (!tz) {
        return NULL;
    }
    tz->name = strdup(name ? name : "");
    if (!tz->name) {
        free(tz);
        return NULL;
    }
    return tz;
}

void pl_tz_destroy(pl_tz_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_tz_t *tz = *self_p;
    free(tz->name);
    free(tz->at);
    free(tz->off);
    free(tz);
    *self_p = NULL;
}

const char *pl_tz_name(const pl_tz_t *tz)
{
    return tz->name;
}

/* ---- POSIX TZ strings ----------------------------------------------------------------------- */

/* Zone abbreviation: three or more letters, or "<...>" around three or more
 * letters, digits, '+' or '-'. */
static bool s_posix_name(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '<') {
        s++;
        while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
               *s == '+' || *s == '-') {
            s++;
            n++;
        }
        if (*s != '>' || n < 3) {
            return false;
        }
        *p = s + 1;
        return true;
    }
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
        s++;
        n++;
    }
    if (n < 3) {
        return false;
    }
    *p = s;
    return true;
}

static bool s_posix_number(const char **p, int min_digits, int max_digits, int max, int *out)
{
    const char *s = *p;
    int value = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9' && n < max_digits) {
        value = value * 10 + (*s - '0');
        s++;
        n++;
    }
    if (n < min_digits || value > max) {
        return false;
    }
    *p = s;
    *out = value;
    return true;
}

/* [+-]hh[:mm[:ss]], hours up to max_hours; the value in seconds. */
static bool s_posix_hms(const char **p, int max_hours, int32_t *out)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    int h = 0, m = 0, sec = 0;
    if (!s_posix_number(&s, 1, 3, max_hours, &h)) {
        return false;
    }
    if (*s == ':') {
        s++;
        if (!s_posix_number(&s, 2, 2, 59, &m)) {
            return false;
        }
        if (*s == ':') {
            s++;
            if (!s_posix_number(&s, 2, 2, 59, &sec)) {
                return false;
            }
        }
    }
    *p = s;
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
}

static bool s_posix_rule(const char **p, s_rule_t *rule)
{
    const char *s = *p;
    memset(rule, 0, sizeof *rule);
    if (*s == 'J') {
        s++;
        rule->kind = 'J';
        if (!s_posix_number(&s, 1, 3, 365, &rule->day) || rule->day < 1) {
            return false;
        }
    } else if (*s == 'M') {
        s++;
        rule->kind = 'M';
        if (!s_posix_number(&s, 1, 2, 12, &rule->month) || rule->month < 1 || *s++ != '.' ||
            !s_posix_number(&s, 1, 1, 5, &rule->week) || rule->week < 1 || *s++ != '.' ||
            !s_posix_number(&s, 1, 1, 6, &rule->wday)) {
            return false;
        }
    } else {
        rule->kind = 'N';
        if (!s_posix_number(&s, 1, 3, 365, &rule->day)) {
            return false;
        }
    }
    rule->time = 2 * 3600;
    if (*s == '/') {
        s++;
        if (!s_posix_hms(&s, S_MAX_RULE_HOURS, &rule->time)) {
            return false;
        }
    }
    *p = s;
    return true;
}

/* Parses a TZ string as found in a TZif footer ("" is valid: no rule). */
static bool s_posix_parse(const char *s, s_posix_t *out)
{
    memset(out, 0, sizeof *out);
    if (!*s) {
        return true;
    }
    int32_t value;
    if (!s_posix_name(&s) || !s_posix_hms(&s, S_MAX_OFFSET_HOURS, &value)) {
        return false;
    }
    out->present = true;
    out->std_off = -value; /* POSIX counts west of UTC */
    if (!*s) {
        return true;
    }
    if (!s_posix_name(&s)) {
        return false;
    }
    out->has_dst = true;
    out->dst_off = out->std_off + 3600;
    if (*s && *s != ',') {
        if (!s_posix_hms(&s, S_MAX_OFFSET_HOURS, &value)) {
            return false;
        }
        out->dst_off = -value;
    }
    if (!*s) {
        /* No rule: the customary default of the TZ implementations. */
        s = ",M3.2.0,M11.1.0";
    }
    if (*s++ != ',' || !s_posix_rule(&s, &out->start) || *s++ != ',' ||
        !s_posix_rule(&s, &out->end) || *s) {
        return false;
    }
    return true;
}

/* The local day (days since 1970-01-01) on which `rule` falls in `year`. */
static int64_t s_rule_day(const s_rule_t *rule, int64_t year)
{
    int64_t jan1 = pl_time_days_from_civil(year, 1, 1);
    switch (rule->kind) {
    case 'J':
        return jan1 + rule->day - 1 + (pl_time_is_leap_year(year) && rule->day >= 60 ? 1 : 0);
    case 'N':
        return jan1 + rule->day;
    default: {
        int64_t first = pl_time_days_from_civil(year, rule->month, 1);
        int dow = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday; Sunday = 0 */
        int64_t day = first + (rule->wday - dow + 7) % 7 + (int64_t)(rule->week - 1) * 7;
        int64_t last = first + pl_time_days_in_month(year, rule->month) - 1;
        while (day > last) {
            day -= 7;
        }
        return day;
    }
    }
}

typedef struct {
    int64_t at;
    bool to_dst;
} s_change_t;

/* The changes of years year0 .. year0 + n - 1 (two per year). */
static size_t s_posix_changes(const s_posix_t *px, int64_t year0, int n, s_change_t *out)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        int64_t y = year0 + i;
        out[k].at = s_rule_day(&px->start, y) * 86400 + px->start.time - px->std_off;
        out[k++].to_dst = true;
        out[k].at = s_rule_day(&px->end, y) * 86400 + px->end.time - px->dst_off;
        out[k++].to_dst = false;
    }
    return k;
}

static int64_t s_posix_year(const s_posix_t *px, int64_t t)
{
    int64_t year;
    int month, day;
    pl_time_civil_from_days(s_floor_div(t + px->std_off, 86400), &year, &month, &day);
    return year;
}

/*
 * The rule's offset at `t`: that of the latest change at or before `t`, so
 * that rules crossing a year end (southern hemisphere, "J365/25") need no
 * special case. A change of year k lies within a week of year k (rule times
 * reach 167 hours), and each kind of change moves forward from one year to
 * the next, so the latest change before `t` (in year y) belongs to years
 * y-2 .. y+1, and the next one after it to years y-1 .. y+2. At equal
 * instants the change to daylight time wins, which is what makes
 * "EST5EDT,0/0,J365/25" daylight time all year (RFC 9636, 3.3.1). For sane
 * rules (a start and an end within each year) this is the C library's
 * reading too; for rules whose periods overlap from one year to the next it
 * stays a consistent function of time, where the C library's does not.
 */
static int32_t s_posix_offset(const s_posix_t *px, int64_t t)
{
    if (!px->has_dst) {
        return px->std_off;
    }
    s_change_t ch[8];
    size_t n = s_posix_changes(px, s_posix_year(px, t) - 2, 4, ch);
    const s_change_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ch[i].at > t) {
            continue;
        }
        if (!best || ch[i].at > best->at || (ch[i].at == best->at && ch[i].to_dst)) {
            best = &ch[i];
        }
    }
    return best && best->to_dst ? px->dst_off : px->std_off;
}

static int64_t s_posix_next(const s_posix_t *px, int64_t t)
{
    if (!px->has_dst) {
        return INT64_MAX;
    }
    s_change_t ch[8];
    size_t n = s_posix_changes(px, s_posix_year(px, t) - 1, 4, ch);
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (ch[i].at > t && ch[i].at < next) {
            next = ch[i].at;
        }
    }
    return next;
}

/* ---- offsets -------------------------------------------------------------------------------- */

/* Index of the first transition after `t` (count if none). */
static size_t s_upper_bound(const pl_tz_t *tz, int64_t t)
{
    size_t lo = 0, hi = tz->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static bool s_uses_posix(const pl_tz_t *tz, int64_t t)
{
    return tz->posix.present && (tz->count == 0 || t >= tz->at[tz->count - 1]);
}

static int32_t s_offset(const pl_tz_t *tz, int64_t t)
{
    if (s_uses_posix(tz, t)) {
        return s_posix_offset(&tz->posix, t);
    }
    size_t i = s_upper_bound(tz, t);
    return i == 0 ? tz->first_off : tz->off[i - 1];
}

/* The next instant after `t` at which the offset may change, or INT64_MAX. */
static int64_t s_next_change(const pl_tz_t *tz, int64_t t)
{
    if (tz->count > 0 && t < tz->at[tz->count - 1]) {
        return tz->at[s_upper_bound(tz, t)];
    }
    return tz->posix.present ? s_posix_next(&tz->posix, t) : INT64_MAX;
}

int32_t pl_tz_offset(const pl_tz_t *tz, pl_usec_t utc)
{
    return s_offset(tz, s_floor_div(utc, PL_USEC_PER_SEC));
}

int64_t pl_tz_local_seconds(const pl_tz_t *tz, pl_usec_t utc)
{
    int64_t t = s_floor_div(utc, PL_USEC_PER_SEC);
    return t + s_offset(tz, t);
}

/*
 * The earliest u with u + offset(u) >= L. Any solution lies within
 * PL_TZ_MAX_OFFSET of L, so walk the intervals of constant offset from just
 * before that window: in [a, next) with offset o the local clock runs from
 * a + o, so the answer is a itself if the clock jumped past L at a (a gap),
 * L - o if that falls inside the interval, else it lies further on. The
 * window holds at most every transition of the table plus a few changes of
 * the rule, so the walk always ends with the answer; for real zones it
 * visits two or three intervals.
 */
pl_usec_t pl_tz_to_utc(const pl_tz_t *tz, int64_t local_seconds)
{
    int64_t local = s_clamp(local_seconds, -PL_TZ_MAX_SECONDS, PL_TZ_MAX_SECONDS);
    int64_t a = local - PL_TZ_MAX_OFFSET - 1;
    for (size_t step = 0; step <= tz->count + S_RULE_STEPS; step++) {
        int32_t o = s_offset(tz, a);
        if (a + o >= local) {
            return a * PL_USEC_PER_SEC;
        }
        int64_t next = s_next_change(tz, a);
        if (local - o < next) {
            return (local - o) * PL_USEC_PER_SEC;
        }
        a = next;
    }
    /* Not reached (see above); a plain answer rather than none. */
    return (local - s_offset(tz, local)) * PL_USEC_PER_SEC;
}

/* ---- TZif ----------------------------------------------------------------------------------- */

typedef struct {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} s_counts_t;

static uint32_t s_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t s_be64(const uint8_t *p)
{
    uint64_t v = (uint64_t)s_be32(p) << 32 | s_be32(p + 4);
    return (int64_t)v;
}

static bool s_header(const uint8_t *d, size_t size, size_t pos, char *version, s_counts_t *c)
{
    if (size - pos < S_HEADER_SIZE || memcmp(d + pos, "TZif", 4) != 0) {
        return false;
    }
    *version = (char)d[pos + 4];
    const uint8_t *p = d + pos + 20;
    c->isutcnt = s_be32(p);
    c->isstdcnt = s_be32(p + 4);
    c->leapcnt = s_be32(p + 8);
    c->timecnt = s_be32(p + 12);
    c->typecnt = s_be32(p + 16);
    c->charcnt = s_be32(p + 20);
    return true;
}

/* Size of the data block that follows a header, or 0 if it cannot fit. */
static size_t s_block_size(const s_counts_t *c, size_t time_size, size_t left)
{
    /* Every count is below 2^32 and a file below PL_TZ_MAX_FILE_SIZE, so
     * checking each count against `left` first keeps the sum from wrapping. */
    const uint32_t counts[] = {c->isutcnt, c->isstdcnt, c->leapcnt,
                               c->timecnt, c->typecnt,  c->charcnt};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (counts[i] > left) {
            return 0;
        }
    }
    uint64_t total = (uint64_t)c->timecnt * (time_size + 1) + (uint64_t)c->typecnt * 6 +
                     c->charcnt + (uint64_t)c->leapcnt * (time_size + 4) + c->isstdcnt + c->isutcnt;
    return total <= left ? (size_t)total : 0;
}

static int s_bad(pl_err_t *err, const char *name, const char *why)
{
    return pl_err_set(err, PL_EINVAL, "bad_zone_file", NULL, "time zone %s: %s", name, why);
}

/* Reads the data block at d (its counts in c) into tz. */
static int s_read_block(pl_tz_t *tz, const uint8_t *d, const s_counts_t *c, size_t time_size,
                        pl_err_t *err)
{
    if (c->typecnt == 0 || c->typecnt > S_MAX_TYPES || c->charcnt == 0) {
        return s_bad(err, tz->name, "no local time types");
    }
    if ((c->isstdcnt != 0 && c->isstdcnt != c->typecnt) ||
        (c->isutcnt != 0 && c->isutcnt != c->typecnt)) {
        return s_bad(err, tz->name, "inconsistent counts");
    }
    if (c->leapcnt != 0) {
        return s_bad(err, tz->name,
                     "leap seconds are not supported (use the zone outside the right/ tree)");
    }
    const uint8_t *times = d;
    const uint8_t *idx = times + (size_t)c->timecnt * time_size;
    const uint8_t *types = idx + c->timecnt;
    int32_t type_off[S_MAX_TYPES];
    for (uint32_t i = 0; i < c->typecnt; i++) {
        const uint8_t *ti = types + (size_t)i * 6;
        int32_t utoff = (int32_t)s_be32(ti);
        if (utoff < -PL_TZ_MAX_OFFSET || utoff > PL_TZ_MAX_OFFSET || ti[4] > 1 ||
            ti[5] >= c->charcnt) {
            return s_bad(err, tz->name, "bad local time type");
        }
        type_off[i] = utoff;
    }
    tz->first_off = type_off[0];
    if (c->timecnt == 0) {
        return 0;
    }
    tz->at = malloc(c->timecnt * sizeof *tz->at);
    tz->off = malloc(c->timecnt * sizeof *tz->off);
    if (!tz->at || !tz->off) {
        return pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
    }
    for (uint32_t i = 0; i < c->timecnt; i++) {
        int64_t at = time_size == 8 ? s_be64(times + (size_t)i * 8)
                                    : (int64_t)(int32_t)s_be32(times + (size_t)i * 4);
        if (i > 0 && at <= tz->at[i - 1]) {
            return s_bad(err, tz->name, "transitions out of order");
        }
        if (idx[i] >= c->typecnt) {
            return s_bad(err, tz->name, "bad transition type");
        }
        tz->at[i] = at;
        tz->off[i] = type_off[idx[i]];
    }
    tz->count = c->timecnt;
    return 0;
}

pl_tz_t *pl_tz_load_tzif(const char *name, const void *data, size_t size, pl_err_t *err)
{
    const uint8_t *d = data;
    pl_tz_t *tz = s_new(name);
    if (!tz) {
        pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        return NULL;
    }
    char version;
    s_counts_t c;
    if (!d || size > PL_TZ_MAX_FILE_SIZE || !s_header(d, size, 0, &version, &c)) {
        s_bad(err, tz->name, "not a TZif file");
        goto fail;
    }
    size_t pos = S_HEADER_SIZE;
    size_t block = s_block_size(&c, 4, size - pos);
    if (block == 0 && (c.timecnt || c.typecnt || c.charcnt)) {
        s_bad(err, tz->name, "truncated file");
        goto fail;
    }
    if (version == '\0') {
        if (s_read_block(tz, d + pos, &c, 4, err) != 0) {
            goto fail;
        }
        return tz;
    }
    if (version < '2' || version > '9') {
        s_bad(err, tz->name, "unknown TZif version");
        goto fail;
    }
    /* Version 2 and later: skip the 32-bit data, use the 64-bit data. */
    pos += block;
    char version2;
    if (!s_header(d, size, pos, &version2, &c)) {
        s_bad(err, tz->name, "missing 64-bit header");
        goto fail;
    }
    pos += S_HEADER_SIZE;
    block = s_block_size(&c, 8, size - pos);
    if (block == 0) {
        s_bad(err, tz->name, "truncated file");
        goto fail;
    }
    if (s_read_block(tz, d + pos, &c, 8, err) != 0) {
        goto fail;
    }
    pos += block;
    /* The footer: "\n" TZ-string "\n". */
    if (pos >= size || d[pos] != '\n') {
        s_bad(err, tz->name, "missing footer");
        goto fail;
    }
    pos++;
    const uint8_t *nl = memchr(d + pos, '\n', size - pos);
    char footer[128];
    size_t len = nl ? (size_t)(nl - (d + pos)) : 0;
    if (!nl || len >= sizeof footer || memchr(d + pos, '\0', len)) {
        s_bad(err, tz->name, "bad footer");
        goto fail;
    }
    memcpy(footer, d + pos, len);
    footer[len] = '\0';
    if (!s_posix_parse(footer, &tz->posix)) {
        s_bad(err, tz->name, "bad TZ string in footer");
        goto fail;
    }
    if (tz->posix.present &&
        (tz->posix.std_off < -PL_TZ_MAX_OFFSET || tz->posix.std_off > PL_TZ_MAX_OFFSET ||
         tz->posix.dst_off < -PL_TZ_MAX_OFFSET || tz->posix.dst_off > PL_TZ_MAX_OFFSET)) {
        s_bad(err, tz->name, "offset out of range in footer");
        goto fail;
    }
    return tz;
fail:
    pl_tz_destroy(&tz);
    return NULL;
}

pl_tz_t *pl_tz_load(const char *name, pl_err_t *err)
{
    if (!name || !s_name_is_valid(name)) {
        pl_err_set(err, PL_EINVAL, "bad_zone_name", NULL,
                   "\"%.80s\" is not an IANA time zone name such as Asia/Shanghai",
                   name ? name : "(null)");
        return NULL;
    }
    if (strcmp(name, "UTC") == 0) {
        pl_tz_t *tz = s_new(name);
        if (!tz) {
            pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        }
        return tz;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) {
        dir = S_DEFAULT_TZDIR;
    }
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        pl_err_set(err, PL_EINVAL, "bad_zone_name", NULL, "time zone path too long");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            pl_err_set(err, PL_ENOENT, "unknown_zone", NULL,
                       "unknown time zone %s (not found in %s)", name, dir);
        } else {
            pl_err_set(err, PL_EIO, "zone_io", NULL, "cannot open %s: %s", path, strerror(e));
        }
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        pl_err_set(err, PL_ENOENT, "unknown_zone", NULL,
                   "unknown time zone %s (%s is not a zone file)", name, path);
        return NULL;
    }
    if (st.st_size > PL_TZ_MAX_FILE_SIZE) {
        fclose(f);
        pl_err_set(err, PL_EINVAL, "bad_zone_file", NULL, "time zone %s: file too large", name);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        return NULL;
    }
    size_t got = fread(buf, 1, size, f);
    int read_error = ferror(f);
    fclose(f);
    if (got != size || read_error) {
        free(buf);
        pl_err_set(err, PL_EIO, "zone_io", NULL, "cannot read %s", path);
        return NULL;
    }
    pl_tz_t *tz = pl_tz_load_tzif(name, buf, size, err);
    free(buf);
    return tz;
}
