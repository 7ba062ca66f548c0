/*
 * lifecycle.c: the lifecycle object (config/lifecycle.h): its memory and
 * reference count, the approval plan of a proposal, and the
 * choice of the person an escalated case goes to. The loader is in
 * lifecycle_load.c and lifecycle_approvals.c.
 */
#include "config/lifecycle.h"

#include "config/deadlines.h"
#include "config/lifecycle_internal.h"
#include "config/people.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *const pl_lifecycle_responsibilities[] = {"quality", "misuse", "other", NULL};

const char *const pl_lifecycle_when_keys[] = {"kind", "category", "severity", "responsibility",
                                              NULL};

/* ---- memory ---------------------------------------------------------------------------------- */

static void s_list_free(pl__lifecycle_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i]);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static void s_rule_free(pl__approval_rule_t *rule)
{
    free(rule->name);
    for (int k = 0; k < PL__WHEN_COUNT; k++) {
        s_list_free(&rule->when[k]);
    }
    for (size_t i = 0; i < rule->levels_count; i++) {
        s_list_free(&rule->levels[i]);
    }
    free(rule->levels);
    free(rule->calendar);
    s_list_free(&rule->escalate);
}

void pl__lifecycle_free(pl_lifecycle_t *lc)
{
    if (!lc) {
        return;
    }
    for (size_t i = 0; i < lc->rules_count; i++) {
        s_rule_free(&lc->rules[i]);
    }
    free(lc->rules);
    free(lc->escalate_to);
    free(lc);
}

pl_lifecycle_t *pl__lifecycle_new(void)
{
    pl_lifecycle_t *lc = calloc(1, sizeof *lc);
    if (lc) {
        atomic_init(&lc->refs, 1);
    }
    return lc;
}

bool pl__lifecycle_list_has(const pl__lifecycle_list_t *list, const char *value)
{
    for (size_t i = 0; value && i < list->count; i++) {
        if (strcmp(list->items[i], value) == 0) {
            return true;
        }
    }
    return false;
}

/* escalate_to's default: sales_manager when the directory has that role. */
bool pl__lifecycle_default_escalate_to(pl_lifecycle_t *lc, const pl_rules_t *rules)
{
    if (rules &&
        pl_rules_directory_kind(rules, PL_LIFECYCLE_DEFAULT_ESCALATE_TO) == PL_DIRECTORY_ROLE) {
        lc->escalate_to = strdup(PL_LIFECYCLE_DEFAULT_ESCALATE_TO);
        return lc->escalate_to != NULL;
    }
    return true;
}

pl_lifecycle_t *pl_lifecycle_new_default(const pl_rules_t *rules)
{
    pl_lifecycle_t *lc = pl__lifecycle_new();
    if (lc && !pl__lifecycle_default_escalate_to(lc, rules)) {
        pl__lifecycle_free(lc);
        lc = NULL;
    }
    return lc;
}

/* ---- use ------------------------------------------------------------------------------------- */

const pl_lifecycle_t *pl_lifecycle_ref(const pl_lifecycle_t *lc)
{
    if (lc) {
        /* The count is the one mutable part of the object. */
        atomic_fetch_add_explicit(&((pl_lifecycle_t *)lc)->refs, 1, memory_order_relaxed);
    }
    return lc;
}

void pl_lifecycle_unref(const pl_lifecycle_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_lifecycle_t *lc = (pl_lifecycle_t *)*self_p;
    *self_p = NULL;
    if (atomic_fetch_sub_explicit(&lc->refs, 1, memory_order_acq_rel) == 1) {
        pl__lifecycle_free(lc);
    }
}

const char *pl_lifecycle_escalate_to(const pl_lifecycle_t *lc)
{
    return lc ? lc->escalate_to : NULL;
}

size_t pl_lifecycle_rule_count(const pl_lifecycle_t *lc)
{
    return lc ? lc->rules_count : 0;
}

static bool s_matches(const pl__approval_rule_t *rule, const char *const values[PL__WHEN_COUNT])
{
    for (int k = 0; k < PL__WHEN_COUNT; k++) {
        if (rule->when[k].count && !pl__lifecycle_list_has(&rule->when[k], values[k])) {
            return false;
        }
    }
    return true;
}

/* A JSON array of the strings of `list`, or NULL when out of memory. */
static json_t *s_list_json(const pl__lifecycle_list_t *list)
{
    json_t *array = json_array();
    for (size_t i = 0; array && i < list->count; i++) {
        if (json_array_append_new(array, json_string(list->items[i])) != 0) {
            json_decref(array);
            array = NULL;
        }
    }
    return array;
}

static const char *s_clock_name(pl_duration_kind_t kind)
{
    switch (kind) {
    case PL_DURATION_BUSINESS:
        return "business";
    case PL_DURATION_WORKING_DAYS:
        return "working_days";
    default:
        return "real";
    }
}

/* Sets obj[key] to value (consumed; NULL counts as out of memory). */
static bool s_set(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

/* Fills `obj` with what a rule (NULL: none matched) gives a proposal made
 * at `now`: rule, levels, within, clock, calendar, due_at, escalate. */
static bool s_rule_json(json_t *obj, const pl__approval_rule_t *rule, const pl_rules_t *rules,
                        pl_usec_t now)
{
    static const pl__lifecycle_list_t none = {NULL, 0};
    json_t *levels = json_array();
    bool ok = levels != NULL;
    for (size_t i = 0; ok && rule && i < rule->levels_count; i++) {
        ok = json_array_append_new(levels, s_list_json(&rule->levels[i])) == 0;
    }
    ok = ok && s_set(obj, "rule", rule ? json_string(rule->name) : json_null());
    ok = ok && s_set(obj, "levels", json_incref(levels));
    json_decref(levels);
    if (ok && rule && rule->has_within) {
        char text[PL_DURATION_FORMAT_SIZE];
        const pl_calendars_t *set = rules ? pl_rules_calendars(rules) : NULL;
        const pl_calendar_t *cal = pl_calendars_get(set, rule->calendar);
        pl_usec_t due = cal || rule->within.kind == PL_DURATION_REAL
                            ? pl_duration_apply(&rule->within, cal, now)
                            : PL_CALENDAR_NEVER;
        ok = s_set(obj, "within",
                   json_string(pl_duration_format(&rule->within, text, sizeof text))) &&
             s_set(obj, "clock", json_string(s_clock_name(rule->within.kind))) &&
             s_set(obj, "calendar", json_string(rule->calendar)) &&
             s_set(obj, "due_at", due == PL_CALENDAR_NEVER ? json_null() : json_integer(due));
    } else if (ok) {
        ok = s_set(obj, "within", json_null()) && s_set(obj, "clock", json_null()) &&
             s_set(obj, "calendar", json_null()) && s_set(obj, "due_at", json_null());
    }
    return ok && s_set(obj, "escalate", s_list_json(rule ? &rule->escalate : &none));
}

json_t *pl_lifecycle_plan(const pl_lifecycle_t *lc, const pl_rules_t *rules, const char *kind,
                          const char *category, const char *severity, const char *responsibility,
                          pl_usec_t now)
{
    const char *const values[PL__WHEN_COUNT] = {kind, category, severity, responsibility};
    const pl__approval_rule_t *rule = NULL;
    for (size_t i = 0; lc && i < lc->rules_count && !rule; i++) {
        if (s_matches(&lc->rules[i], values)) {
            rule = &lc->rules[i];
        }
    }
    json_t *plan = json_object();
    if (plan && !s_rule_json(plan, rule, rules, now)) {
        json_decref(plan);
        plan = NULL;
    }
    return plan;
}

const char *pl_lifecycle_pick_person(const pl_rules_t *rules, const char *role, const char *region)
{
    const char *first = NULL;
    size_t n = pl_rules_people_count(rules);
    for (size_t i = 0; role && i < n; i++) {
        pl_person_info_t p;
        if (!pl_rules_person_has_role(rules, i, role) || pl_rules_person_at(rules, i, &p) != 0) {
            continue;
        }
        if (!region) {
            return p.id;
        }
        if (!first) {
            first = p.id;
        }
        if (p.region && strcmp(p.region, region) == 0) {
            return p.id;
        }
    }
    return first;
}
