/*
 * rules_deadlines.c: the `deadlines` section of the rules (config/deadlines.h):
 * its loader, with every reference checked (calendars, directory ids,
 * statuses, operations), and the deadlines a new case gets.
 *
 * The section is read last, after the directory, categories and tags, so
 * that a deadline's `when` may test anything a routing rule may (its
 * conditions are parsed as routing conditions, so keywords are scanned in
 * the routing phase). Unlike routing, deadlines are not first-match: every
 * deadline whose `when` holds applies, so no rule can shadow another.
 */
#include "config/deadlines.h"

#include "config/rules_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pl_deadline_ops[] = {"note", "visit", "reply", "report", "close", NULL};

const char *const pl_deadline_statuses[] = {
    "registered", "confirmed", "assigned", "investigating", "resolution_proposed",
    "approved",   "replied",   "followup", "closed",        NULL};

static int s_index(const char *const *list, const char *name)
{
    for (int i = 0; name && list[i]; i++) {
        if (strcmp(list[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

int pl_deadline_op_index(const char *name)
{
    return s_index(pl_deadline_ops, name);
}

int pl_deadline_status_index(const char *name)
{
    return s_index(pl_deadline_statuses, name);
}

/* ---- loading ------------------------------------------------------------------------------ */

/* One deadline entry being read. */
typedef struct {
    pl__load_t *ld;
    pl__deadline_t *dl;
    pl__idmap_t *names;
    const pl_yaml_node_t *within_key; /* the key nodes, to place errors */
    const pl_yaml_node_t *every_key;
    const pl_yaml_node_t *until_key;
} s_entry_t;

typedef void (*s_key_fn)(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value);

/* "a, b or c" from a NULL-terminated list, for messages. */
static void s_join(const char *const *list, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; list[i] && used < size; i++) {
        const char *sep = i == 0 ? "" : list[i + 1] ? ", " : " or ";
        used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, list[i]);
    }
}

/* The items of a value that may be one scalar or a list of them; 0 after a
 * report. */
static size_t s_list(pl__load_t *ld, const pl_yaml_node_t *value, const char *what,
                     const char *expected, size_t max)
{
    char desc[64];
    if (pl_yaml_node_kind(value) == PL_YAML_MAPPING || pl_yaml_node_is_null(value)) {
        pl__rules_error(ld, value, "%s: expected %s, found %s", what, expected,
                        pl_yaml_node_describe(value, desc, sizeof desc));
        return 0;
    }
    size_t count = pl_yaml_node_kind(value) == PL_YAML_SEQUENCE ? pl_yaml_node_count(value) : 1;
    if (count == 0) {
        pl__rules_error(ld, value, "%s: the list is empty; expected %s", what, expected);
        return 0;
    }
    if (count > max) {
        pl__rules_error(ld, value, "%s: more than %zu entries", what, max);
        return 0;
    }
    return count;
}

static const pl_yaml_node_t *s_item(const pl_yaml_node_t *value, size_t i)
{
    return pl_yaml_node_kind(value) == PL_YAML_SEQUENCE ? pl_yaml_node_item(value, i) : value;
}

/* A duration; false after a report. */
static bool s_duration(pl__load_t *ld, const pl_yaml_node_t *value, const char *what,
                       pl_duration_t *out)
{
    const char *text = pl__rules_scalar(ld, value, what);
    if (!text) {
        return false;
    }
    pl_err_t err;
    pl_err_clear(&err);
    if (pl_duration_parse(text, out, &err) != 0) {
        pl__rules_error(ld, value, "%s: %s", what, err.message);
        return false;
    }
    return true;
}

static void s_parse_name(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    pl__load_t *ld = e->ld;
    const char *name = pl__rules_id(ld, value, "deadlines.name");
    if (!name) {
        return;
    }
    if (strcmp(name, "approval") == 0) {
        /* The approval matrix's own deadline (config/lifecycle.h). */
        pl__rules_error(ld, value,
                        "deadlines.name: \"approval\" is reserved for the approval deadline "
                        "(approvals[].within); choose another name");
        return;
    }
    bool added = false;
    pl__idslot_t *slot = pl__idmap_add(e->names, name, 0, value, &added);
    if (!slot) {
        pl__rules_error(ld, value, "out of memory");
        return;
    }
    if (!added) {
        pl__rules_error(ld, value,
                        "deadlines.name: duplicate name \"%s\" (first defined at line %d, column "
                        "%d)",
                        name, slot->line, slot->column);
        return;
    }
    e->dl->name = pl__rules_copy(ld, name);
}

static void s_parse_label(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    const char *label = pl__rules_scalar(e->ld, value, "deadlines.label");
    if (label) {
        e->dl->label = pl__rules_copy(e->ld, label);
    }
}

static void s_parse_when(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    e->ld->rule_keywords = 0;
    e->dl->when = pl__cond_parse(e->ld, value);
}

static void s_parse_calendar(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    pl__load_t *ld = e->ld;
    const char *id = pl__rules_scalar(ld, value, "deadlines.calendar");
    if (!id) {
        return;
    }
    if (ld->calendars && !pl_calendars_get(ld->calendars, id)) {
        char known[256] = "";
        size_t used = 0;
        size_t n = pl_calendars_count(ld->calendars);
        for (size_t i = 0; i < n && used < sizeof known; i++) {
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                     i == 0      ? ""
                                     : i + 1 < n ? ", "
                                                 : " or ",
                                     pl_calendar_id(pl_calendars_at(ld->calendars, i)));
        }
        pl__rules_error(ld, value,
                        "deadlines.calendar: unknown calendar \"%.64s\"; expected %s (calendar "
                        "is \"default\", calendars lists the others)",
                        id, known);
        return;
    }
    e->dl->calendar_id = pl__rules_copy(ld, id);
}

static void s_parse_within(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    e->within_key = key;
    pl_duration_t d;
    if (s_duration(e->ld, value, "deadlines.within", &d)) {
        e->dl->within = d;
    }
}

static void s_parse_every(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    pl__load_t *ld = e->ld;
    e->every_key = key;
    pl_duration_t d;
    if (!s_duration(ld, value, "deadlines.every", &d)) {
        return;
    }
    if (d.kind == PL_DURATION_WORKING_DAYS) {
        pl__rules_error(ld, value,
                        "deadlines.every: \"%.60s\" counts working days; a recurring deadline "
                        "repeats in real time (30m, 1h) or in working time (30 business "
                        "minutes)",
                        pl_yaml_node_scalar(value));
        return;
    }
    if (d.amount < PL_DEADLINES_MIN_EVERY) {
        pl__rules_error(ld, value, "deadlines.every: \"%.60s\" is too short; at least 1m",
                        pl_yaml_node_scalar(value));
        return;
    }
    e->dl->every = d.amount;
    e->dl->every_business = d.kind == PL_DURATION_BUSINESS;
}

static void s_parse_until(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    pl__load_t *ld = e->ld;
    e->until_key = key;
    const char *status = pl__rules_scalar(ld, value, "deadlines.until");
    if (!status) {
        return;
    }
    int index = pl_deadline_status_index(status);
    if (index < 0) {
        char expected[256];
        s_join(pl_deadline_statuses, expected, sizeof expected);
        pl__rules_error(ld, value, "deadlines.until: unknown status \"%.64s\"; expected %s", status,
                        expected);
        return;
    }
    e->dl->until = index;
}

static int s_cmp_u8(const void *a, const void *b)
{
    return *(const uint8_t *)a - *(const uint8_t *)b;
}

static void s_parse_warn_at(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    pl__load_t *ld = e->ld;
    const char *what = "deadlines.warn_at";
    size_t count = s_list(ld, value, what, "a percentage or a list of them such as [50, 80]",
                          PL_DEADLINES_MAX_WARNINGS);
    uint8_t *pct = count ? pl__rules_array(ld, count, sizeof *pct) : NULL;
    if (!pct) {
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = s_item(value, i);
        char desc[64];
        int64_t n;
        if (pl_yaml_node_to_int64(item, &n) != 0) {
            pl__rules_error(ld, item, "%s: expected a whole percentage from 1 to 99, found %s",
                            what, pl_yaml_node_describe(item, desc, sizeof desc));
            ok = false;
            continue;
        }
        if (n < 1 || n > 99) {
            pl__rules_error(ld, item,
                            "%s: %lld is out of range 1..99 (a percentage of the time from the "
                            "start to the deadline)",
                            what, (long long)n);
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (pct[j] == n) {
                pl__rules_error(ld, item, "%s: %lld is listed twice", what, (long long)n);
                ok = false;
            }
        }
        pct[i] = (uint8_t)n;
    }
    if (ok) {
        qsort(pct, count, sizeof *pct, s_cmp_u8);
        e->dl->warn_pct = pct;
        e->dl->warn_count = count;
    }
}

static void s_parse_met_by(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    pl__load_t *ld = e->ld;
    const char *what = "deadlines.met_by";
    char expected[128];
    s_join(pl_deadline_ops, expected, sizeof expected);
    size_t count = s_list(ld, value, what, "an operation or a list of them", 16);
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = s_item(value, i);
        const char *op = pl__rules_scalar(ld, item, what);
        int index = op ? pl_deadline_op_index(op) : -1;
        if (op && index < 0) {
            pl__rules_error(ld, item, "%s: unknown operation \"%.64s\"; expected %s", what, op,
                            expected);
        } else if (index >= 0 && (e->dl->met_by & (1u << index))) {
            pl__rules_error(ld, item, "%s: \"%s\" is listed twice", what, op);
        } else if (index >= 0) {
            e->dl->met_by |= 1u << index;
        }
    }
}

static void s_parse_pausable(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    char desc[64];
    if (pl_yaml_node_to_bool(value, &e->dl->pausable) != 0) {
        pl__rules_error(e->ld, value, "deadlines.pausable: expected true or false, found %s",
                        pl_yaml_node_describe(value, desc, sizeof desc));
    }
}

/* One level's `to`: ids of the directory, each once. */
static void s_parse_to(pl__load_t *ld, pl__deadline_level_t *level, const pl_yaml_node_t *value)
{
    const char *what = "deadlines.escalate.to";
    size_t count = s_list(ld, value, what, "a role, person or department id, or a list of them",
                          PL_DEADLINES_MAX_TO);
    const char **ids = count ? pl__rules_array(ld, count, sizeof *ids) : NULL;
    if (!ids) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = s_item(value, i);
        const char *id = pl__rules_scalar(ld, item, what);
        if (!id) {
            continue;
        }
        if (pl__idmap_find(ld->dir_ids, id) < 0) {
            pl__rules_error(ld, item, "%s: unknown role, person or department \"%.64s\"", what, id);
            continue;
        }
        bool twice = false;
        for (size_t j = 0; j < level->to_count && !twice; j++) {
            twice = strcmp(ids[j], id) == 0;
        }
        if (twice) {
            pl__rules_error(ld, item, "%s: \"%s\" is listed twice", what, id);
            continue;
        }
        ids[level->to_count++] = pl__rules_copy(ld, id);
    }
    level->to = ids;
}

static const pl_yaml_node_t *s_key_node(const pl_yaml_node_t *map, const char *name)
{
    for (size_t i = 0; i < pl_yaml_node_count(map); i++) {
        if (pl__yaml_key_is(pl_yaml_node_key(map, i), name)) {
            return pl_yaml_node_key(map, i);
        }
    }
    return NULL;
}

static void s_parse_escalate(s_entry_t *e, const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    pl__load_t *ld = e->ld;
    const char *what = "deadlines.escalate";
    char desc[64];
    if (pl_yaml_node_kind(value) == PL_YAML_SEQUENCE && pl_yaml_node_count(value) == 0) {
        pl__rules_error(ld, value,
                        "%s: the list is empty; give at least one level, or leave escalate out "
                        "(a breach is then only recorded)",
                        what);
        return;
    }
    if (pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        pl__rules_error(ld, value,
                        "%s: expected a list of levels such as [{to: [regional_head]}, {after: "
                        "30m, to: [sales_manager]}], found %s",
                        what, pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t count = pl_yaml_node_count(value);
    if (count > PL_DEADLINES_MAX_LEVELS) {
        pl__rules_error(ld, value, "%s: more than %d levels", what, PL_DEADLINES_MAX_LEVELS);
        return;
    }
    pl__deadline_level_t *levels = pl__rules_array(ld, count, sizeof *levels);
    if (!levels) {
        return;
    }
    static const char *const keys[] = {"to", "after", NULL};
    static const char *const required[] = {"to", NULL};
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(value, i);
        if (!pl__rules_check_keys(ld, item, what, keys, required)) {
            continue;
        }
        const pl_yaml_node_t *to = pl_yaml_node_get(item, "to");
        if (to) {
            s_parse_to(ld, &levels[i], to);
        }
        const pl_yaml_node_t *after = pl_yaml_node_get(item, "after");
        if (i == 0 && after) {
            pl__rules_error(ld, s_key_node(item, "after"),
                            "%s: the first level has no after; it is notified at the breach", what);
        } else if (i > 0 && !after) {
            pl__rules_error(ld, item,
                            "%s: level %zu needs after, the wait after level %zu such as 30m", what,
                            i + 1, i);
        } else if (after) {
            pl_duration_t d;
            if (!s_duration(ld, after, "deadlines.escalate.after", &d)) {
                continue;
            }
            if (d.kind != PL_DURATION_REAL) {
                pl__rules_error(ld, after,
                                "deadlines.escalate.after: \"%.60s\" is not real time; write "
                                "the wait as elapsed time such as 30m or 8h",
                                pl_yaml_node_scalar(after));
                continue;
            }
            levels[i].after = d.amount;
        }
    }
    e->dl->levels = levels;
    e->dl->levels_count = count;
}

/* The keys of a deadline, in the order they are documented. */
static const struct {
    const char *name;
    s_key_fn parse;
} s_keys[] = {
    {"name", s_parse_name},         {"label", s_parse_label},       {"when", s_parse_when},
    {"calendar", s_parse_calendar}, {"within", s_parse_within},     {"every", s_parse_every},
    {"until", s_parse_until},       {"warn_at", s_parse_warn_at},   {"escalate", s_parse_escalate},
    {"met_by", s_parse_met_by},     {"pausable", s_parse_pausable},
};

#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

static void s_load_entry(s_entry_t *e, const pl_yaml_node_t *item)
{
    pl__load_t *ld = e->ld;
    pl__deadline_t *dl = e->dl;
    dl->until = -1;
    const char *names[S_KEY_COUNT + 1];
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        names[k] = s_keys[k].name;
    }
    names[S_KEY_COUNT] = NULL;
    static const char *const required[] = {"name", "met_by", NULL};
    if (!pl__rules_check_keys(ld, item, "deadlines", names, required)) {
        return;
    }
    for (size_t i = 0; i < pl_yaml_node_count(item); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(item, i);
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            if (pl__yaml_key_is(key, s_keys[k].name)) {
                s_keys[k].parse(e, key, pl_yaml_node_value(item, i));
                break;
            }
        }
    }
    /* What needs several keys. */
    if (e->within_key && e->every_key) {
        const pl_yaml_node_t *second =
            pl_yaml_node_line(e->every_key) > pl_yaml_node_line(e->within_key) ||
                    (pl_yaml_node_line(e->every_key) == pl_yaml_node_line(e->within_key) &&
                     pl_yaml_node_column(e->every_key) > pl_yaml_node_column(e->within_key))
                ? e->every_key
                : e->within_key;
        pl__rules_error(ld, second,
                        "deadlines: give either within (a single deadline) or every (a "
                        "recurring one), not both");
    } else if (!e->within_key && !e->every_key) {
        pl__rules_error(ld, item,
                        "deadlines: within (such as 2h, 4 business hours, 2 working days) or "
                        "every (such as 30m) is required");
    }
    if (e->until_key && !e->every_key) {
        pl__rules_error(ld, e->until_key,
                        "deadlines.until: only a recurring deadline (every) has until; a single "
                        "deadline ends when it is met");
    } else if (e->every_key && dl->until < 0) {
        dl->until = pl_deadline_status_index("closed");
    }
    if (!dl->calendar_id) {
        dl->calendar_id = PL_CALENDAR_DEFAULT_ID;
    }
    if (!dl->label) {
        dl->label = dl->name;
    }
}

void pl__rules_load_deadlines(pl__load_t *ld, const pl_yaml_node_t *node)
{
    pl_rules_t *rules = ld->rules;
    /* Deadlines see the whole classification, as routing rules do. */
    ld->section = PL__SEC_ROUTING;
    ld->where = "deadlines";
    size_t count = pl__rules_items(ld, node, "deadlines");
    if (count == 0) {
        return;
    }
    if (!ld->calendars && !ld->calendars_failed) {
        pl_err_t err;
        pl_err_clear(&err);
        rules->calendars = pl_calendars_new_default(&err);
        ld->calendars = rules->calendars;
        if (!ld->calendars) {
            pl__rules_error(ld, node, "deadlines: the built-in default calendar: %s", err.message);
        }
    }
    pl__deadline_t *items = pl__rules_array(ld, count, sizeof *items);
    pl__idmap_t *names = pl__idmap_new();
    if (!items || !names) {
        pl__idmap_destroy(&names);
        pl__rules_error(ld, node, "out of memory");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        s_entry_t e = {.ld = ld, .dl = &items[i], .names = names};
        s_load_entry(&e, pl_yaml_node_item(node, i));
        if (ld->calendars) {
            items[i].calendar = pl_calendars_get(ld->calendars, items[i].calendar_id);
        }
    }
    pl__idmap_destroy(&names);
    rules->deadlines = items;
    rules->deadlines_count = count;
}

/* ---- computing ---------------------------------------------------------------------------- */

const pl_calendars_t *pl_rules_calendars(const pl_rules_t *rules)
{
    return rules->calendars;
}

size_t pl_rules_deadline_count(const pl_rules_t *rules)
{
    return rules->deadlines_count;
}

/* a + b, or PL_CALENDAR_NEVER on overflow. */
static pl_usec_t s_add(pl_usec_t a, pl_usec_t b)
{
    if (a == PL_CALENDAR_NEVER || (b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) {
        return PL_CALENDAR_NEVER;
    }
    return a + b;
}

pl_usec_t pl_deadline_extend(const pl_calendar_t *cal, pl_duration_kind_t clock, pl_usec_t due,
                             pl_usec_t paused_at, pl_usec_t resumed_at)
{
    if (due == PL_CALENDAR_NEVER) {
        return PL_CALENDAR_NEVER;
    }
    if (resumed_at <= paused_at) {
        return due;
    }
    if (clock == PL_DURATION_REAL) {
        if (paused_at < 0 && resumed_at > INT64_MAX + paused_at) {
            return PL_CALENDAR_NEVER;
        }
        return s_add(due, resumed_at - paused_at);
    }
    if (!cal || (clock != PL_DURATION_BUSINESS && clock != PL_DURATION_WORKING_DAYS)) {
        return PL_CALENDAR_NEVER;
    }
    pl_usec_t worked = pl_calendar_business_between(cal, paused_at, resumed_at);
    if (worked < 0) {
        return PL_CALENDAR_NEVER;
    }
    return worked == 0 ? due : pl_calendar_add_business(cal, due, worked);
}

/* Whether the deadline counts working time (business hours, working days). */
static bool s_counts_working_time(const pl__deadline_t *d)
{
    return d->every > 0 ? d->every_business : d->within.kind != PL_DURATION_REAL;
}

/* The instant at `pct` percent of the way from `start` to `due`, in the
 * deadline's clock, to the whole second. */
static pl_usec_t s_warn_instant(const pl__deadline_t *d, pl_usec_t start, pl_usec_t due, int pct)
{
    if (due == PL_CALENDAR_NEVER || due < start) {
        return PL_CALENDAR_NEVER;
    }
    if (!s_counts_working_time(d)) {
        /* At most 366 days in microseconds times 99: far inside int64. */
        pl_usec_t part = (due - start) * pct / 100;
        return start + part / PL_USEC_PER_SEC * PL_USEC_PER_SEC;
    }
    pl_usec_t total = pl_calendar_business_between(d->calendar, start, due);
    if (total < 0) {
        return PL_CALENDAR_NEVER;
    }
    pl_usec_t part = total * pct / 100;
    return pl_calendar_add_business(d->calendar, start, part / PL_USEC_PER_SEC * PL_USEC_PER_SEC);
}

static json_t *s_time_json(pl_usec_t t)
{
    char buf[PL_TIME_RFC3339_SIZE];
    if (t == PL_CALENDAR_NEVER || pl_time_format_rfc3339(t, buf, sizeof buf) == 0) {
        return json_null();
    }
    return json_string(buf);
}

static const char *s_clock_name(const pl__deadline_t *d)
{
    if (d->every > 0) {
        return d->every_business ? "business" : "real";
    }
    if (d->within.kind == PL_DURATION_REAL) {
        return "real";
    }
    return d->within.kind == PL_DURATION_BUSINESS ? "business" : "working_days";
}

static json_t *s_strings_json(const char *const *list, size_t count)
{
    json_t *array = json_array();
    for (size_t i = 0; array && i < count; i++) {
        if (json_array_append_new(array, json_string(list[i])) != 0) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *s_chain_json(const pl__deadline_t *d)
{
    json_t *chain = json_array();
    for (size_t i = 0; chain && i < d->levels_count; i++) {
        const pl__deadline_level_t *level = &d->levels[i];
        json_t *item = json_pack("{s:I, s:o, s:I}", "level", (json_int_t)(i + 1), "to",
                                 s_strings_json(level->to, level->to_count), "after_s",
                                 (json_int_t)(level->after / PL_USEC_PER_SEC));
        if (!item || json_array_append_new(chain, item) != 0) {
            json_decref(chain);
            return NULL;
        }
    }
    return chain;
}

/* When deadline `d` counted from `start` is due. */
static pl_usec_t s_due(const pl__deadline_t *d, pl_usec_t start)
{
    if (d->every > 0) {
        return d->every_business ? pl_calendar_add_business(d->calendar, start, d->every)
                                 : s_add(start, d->every);
    }
    return pl_duration_apply(&d->within, d->calendar, start);
}

/* The item of pl_rules_deadlines() for deadline `d`, or NULL when out of
 * memory. */
static json_t *s_deadline_json(pl__eval_t *ctx, const pl__deadline_t *d, pl_usec_t start)
{
    pl_usec_t due = s_due(d, start);
    json_t *warn_at = json_array();
    json_t *warn_pct = json_array();
    json_t *met_by = json_array();
    bool ok = warn_at && warn_pct && met_by;
    for (size_t i = 0; ok && i < d->warn_count; i++) {
        ok = json_array_append_new(warn_pct, json_integer(d->warn_pct[i])) == 0;
        pl_usec_t at = s_warn_instant(d, start, due, d->warn_pct[i]);
        if (ok && at != PL_CALENDAR_NEVER) {
            ok = json_array_append_new(warn_at, s_time_json(at)) == 0;
        }
    }
    for (size_t i = 0; ok && pl_deadline_ops[i]; i++) {
        if (d->met_by & (1u << i)) {
            ok = json_array_append_new(met_by, json_string(pl_deadline_ops[i])) == 0;
        }
    }
    char within[PL_DURATION_FORMAT_SIZE];
    if (d->every == 0) {
        pl_duration_format(&d->within, within, sizeof within);
    }
    pl_buf_t why = {0};
    if (d->when) {
        pl_buf_puts(&why, "when ");
        pl__cond_why(ctx, d->when, &why);
    } else {
        pl_buf_puts(&why, "every case (no when)");
    }
    ok = ok && !why.failed;
    json_t *item = NULL;
    if (ok) {
        item = json_pack(
            "{s:s, s:s, s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:s, s:i, "
            "s:s, s:s}",
            "name", d->name, "label", d->label, "calendar", d->calendar_id, "clock",
            s_clock_name(d), "within", d->every ? json_null() : json_string(within), "every_s",
            (json_int_t)(d->every / PL_USEC_PER_SEC), "until",
            d->until >= 0 ? json_string(pl_deadline_statuses[d->until]) : json_null(), "start",
            s_time_json(start), "due_at", s_time_json(due), "warn_pct", warn_pct, "warn_at",
            warn_at, "met_by", met_by, "pausable", d->pausable, "chain", s_chain_json(d), "status",
            "pending", "level", 0, "rules_version", ctx->rules->version, "why",
            why.data ? why.data : "");
        /* json_pack took the arrays, even when it failed. */
        warn_at = warn_pct = met_by = NULL;
    }
    json_decref(warn_at);
    json_decref(warn_pct);
    json_decref(met_by);
    pl_buf_free(&why);
    return item;
}

json_t *pl_rules_deadlines(const pl_rules_t *rules, const pl_event_t *ev,
                           const pl_classification_t *cls, pl_usec_t start)
{
    json_t *out = json_array();
    if (!out || rules->deadlines_count == 0) {
        return out;
    }
    pl__scratch_t scratch;
    pl__eval_t ctx;
    if (pl__eval_init_classified(&ctx, &scratch, rules, ev, cls) != 0) {
        json_decref(out);
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < rules->deadlines_count; i++) {
        const pl__deadline_t *d = &rules->deadlines[i];
        if (d->when && !pl__cond_eval(&ctx, d->when)) {
            continue;
        }
        json_t *item = s_deadline_json(&ctx, d, start);
        ok = item && json_array_append_new(out, item) == 0;
    }
    ok = ok && !ctx.failed;
    pl__eval_fini_classified(&ctx, &scratch);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *pl_rules_rearm(const pl_rules_t *rules, pl_usec_t now)
{
    json_t *out = json_object();
    for (size_t i = 0; out && rules && i < rules->deadlines_count; i++) {
        const pl__deadline_t *d = &rules->deadlines[i];
        if (d->every == 0 || !d->every_business) {
            continue;
        }
        pl_usec_t due = s_due(d, now);
        json_t *warn = json_array();
        for (size_t w = 0; warn && due != PL_CALENDAR_NEVER && w < d->warn_count; w++) {
            pl_usec_t at = s_warn_instant(d, now, due, d->warn_pct[w]);
            if (at != PL_CALENDAR_NEVER) {
                json_array_append_new(warn, json_integer(at));
            }
        }
        json_t *item = warn && due != PL_CALENDAR_NEVER
                           ? json_pack("{s:I, s:o}", "due_us", (json_int_t)due, "warn_us", warn)
                           : NULL;
        if (!item) {
            json_decref(warn);
            if (due == PL_CALENDAR_NEVER) {
                continue; /* the database's real-time re-arm stands */
            }
            json_decref(out);
            return NULL;
        }
        if (json_object_set_new(out, d->name, item) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
