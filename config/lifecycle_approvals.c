/*
 * lifecycle_approvals.c: the rules of the `approvals` section
 * (config/lifecycle.h), for the loader (lifecycle_load.c).
 *
 * Every key of a rule is read from a table (name, parser). Checks that
 * involve several keys of a rule (calendar or escalate without within, a
 * missing name or levels) run once all its keys are read, and a rule is
 * compared with the rules before it as soon as it is read: a rule that an
 * earlier one matches whenever it would can never be chosen (the matrix is
 * first-match).
 */
#include "config/lifecycle.h"

#include "config/calendar.h"
#include "config/categories.h"
#include "config/lifecycle_internal.h"
#include "config/load_util.h"
#include "config/people.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ID 64     /* bytes of a rule name (PL_RULES_MAX_ID_SIZE) */
#define S_MAX_LIST 1000 /* "expected ..." lists in messages, in bytes */

#define s_error(ld, node, ...) pl__load_error(&(ld)->errors, (node), PL_ECONFIG, __VA_ARGS__)
#define s_oom(ld, node) pl__load_error(&(ld)->errors, (node), PL_ENOMEM, "out of memory")

/* ---- small parsers --------------------------------------------------------------------------- */

/* Joins `count` strings, "a, b or c", for messages; a list that does not
 * fit ends with ", ...". `at` gives string i of `ctx`. */
static void s_join_fn(const char *(*at)(const void *ctx, size_t i), const void *ctx, size_t count,
                      char *buf, size_t size)
{
    static const char more[] = ", ...";
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        const char *sep = i == 0 ? "" : i + 1 < count ? ", " : " or ";
        const char *s = at(ctx, i);
        size_t need = strlen(sep) + strlen(s);
        if (used + need + sizeof more > size) {
            if (used + sizeof more <= size) {
                memcpy(buf + used, more, sizeof more);
            }
            return;
        }
        memcpy(buf + used, sep, strlen(sep));
        memcpy(buf + used + strlen(sep), s, strlen(s) + 1);
        used += need;
    }
}

static const char *s_list_at(const void *ctx, size_t i)
{
    return ((const char *const *)ctx)[i];
}

/* s_join_fn over a NULL-terminated list. */
static void s_join(const char *const *list, char *buf, size_t size)
{
    size_t count = 0;
    while (list[count]) {
        count++;
    }
    s_join_fn(s_list_at, list, count, buf, size);
}

static int s_index(const char *const *list, const char *name)
{
    for (int i = 0; name && list[i]; i++) {
        if (strcmp(list[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

static bool s_id_is_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > S_MAX_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        bool other = (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
        if (!letter && (i == 0 || !other)) {
            return false;
        }
    }
    return true;
}

/* The items of a value that may be one scalar or a list of them: the count,
 * or 0 after a report. */
static size_t s_items(pl__lifecycle_ld_t *ld, const char *path, const pl_yaml_node_t *value,
                      const char *expected, size_t max, const char *noun)
{
    char desc[64];
    if (pl_yaml_node_kind(value) == PL_YAML_MAPPING || pl_yaml_node_is_null(value)) {
        s_error(ld, value, "%s: expected %s, found %s", path, expected,
                pl_yaml_node_describe(value, desc, sizeof desc));
        return 0;
    }
    size_t count = pl_yaml_node_kind(value) == PL_YAML_SEQUENCE ? pl_yaml_node_count(value) : 1;
    if (count == 0) {
        s_error(ld, value, "%s: the list is empty; expected %s", path, expected);
        return 0;
    }
    if (count > max) {
        s_error(ld, value, "%s: more than %zu %s", path, max, noun);
        return 0;
    }
    return count;
}

static const pl_yaml_node_t *s_item(const pl_yaml_node_t *value, size_t i)
{
    return pl_yaml_node_kind(value) == PL_YAML_SEQUENCE ? pl_yaml_node_item(value, i) : value;
}

/* The path of item i of a value read by s_items: "path[i+1]" for a list,
 * "path" for a single scalar. */
static void s_item_path(char *buf, size_t size, const char *path, const pl_yaml_node_t *value,
                        size_t i)
{
    /* A path too long for buf is cut; the line and column still locate it. */
    int n = pl_yaml_node_kind(value) == PL_YAML_SEQUENCE
                ? snprintf(buf, size, "%s[%zu]", path, i + 1)
                : snprintf(buf, size, "%s", path);
    if (n < 0 && size > 0) {
        buf[0] = '\0';
    }
}

/* Room for `count` strings in `list`, or false after a report. */
static bool s_list_alloc(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *node,
                         pl__lifecycle_list_t *list, size_t count)
{
    list->items = calloc(count ? count : 1, sizeof *list->items);
    if (!list->items) {
        s_oom(ld, node);
        return false;
    }
    return true;
}

/* Appends a copy of `value` (room was made by s_list_alloc). */
static bool s_list_push(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *node,
                        pl__lifecycle_list_t *list, const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        s_oom(ld, node);
        return false;
    }
    list->items[list->count++] = copy;
    return true;
}

/* ---- an approval rule ------------------------------------------------------------------------ */

/* What the rules after it need to know about a rule that was read. */
typedef struct {
    const pl_yaml_node_t *node;
    const pl_yaml_node_t *name_node; /* a valid name, or NULL */
    bool has_when;
    bool comparable; /* its `when` was read without errors */
} s_seen_t;

typedef struct {
    pl__lifecycle_ld_t *ld;
    pl__approval_rule_t *rule;
    s_seen_t *seen;
    const pl_yaml_node_t *node;
    char path[32]; /* "approvals[12]" */
    const pl_yaml_node_t *within_key, *calendar_key, *escalate_key;
} s_rule_ld_t;

typedef void (*s_rule_key_fn)(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                              size_t index);

static void s_parse_name(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                         size_t index)
{
    pl__lifecycle_ld_t *ld = r->ld;
    char path[48], desc[64];
    snprintf(path, sizeof path, "%s.name", r->path);
    const char *name = pl__lifecycle_read_string(ld, path, value, "a name such as quality_reply");
    if (!name) {
        return;
    }
    if (!s_id_is_valid(name)) {
        s_error(ld, value,
                "%s: %s is not an id (1 to %d letters, digits, '_', '.' or '-', starting with a "
                "letter or '_')",
                path, pl_yaml_node_describe(value, desc, sizeof desc), S_MAX_ID);
        return;
    }
    for (size_t j = 0; j < index; j++) {
        const pl_yaml_node_t *first = earlier[j].name_node;
        if (first && strcmp(pl_yaml_node_scalar(first), name) == 0) {
            s_error(ld, value, "%s: duplicate name \"%s\" (first defined at line %d, column %d)",
                    path, name, pl_yaml_node_line(first), pl_yaml_node_column(first));
            return;
        }
    }
    if ((r->rule->name = strdup(name)) == NULL) {
        s_oom(ld, value);
        return;
    }
    r->seen->name_node = value;
}

static const char *s_category_at(const void *ctx, size_t i)
{
    return pl_rules_category_id(ctx, i);
}

/* Checks one value of `when.<key>`; false after a report. */
static bool s_check_when_value(pl__lifecycle_ld_t *ld, int key, const char *path,
                               const pl_yaml_node_t *node, const char *value)
{
    char list[S_MAX_LIST];
    switch (key) {
    case PL__WHEN_KIND:
        if (ld->kinds_known && s_index(ld->kinds, value) < 0) {
            s_join(ld->kinds, list, sizeof list);
            s_error(ld, node, "%s: unknown kind \"%.64s\"; intake.kinds lists %s", path, value,
                    list);
            return false;
        }
        return true;
    case PL__WHEN_CATEGORY: {
        if (!ld->rules || pl_rules_category_find(ld->rules, value) >= 0) {
            return true;
        }
        size_t n = pl_rules_category_count(ld->rules);
        if (n == 0) {
            s_error(ld, node, "%s: unknown category \"%.64s\"; the rules have no categories", path,
                    value);
            return false;
        }
        s_join_fn(s_category_at, ld->rules, n, list, sizeof list);
        s_error(ld, node, "%s: unknown category \"%.64s\"; expected %s", path, value, list);
        return false;
    }
    case PL__WHEN_SEVERITY:
        if (s_index(pl_rules_severities, value) < 0) {
            s_join(pl_rules_severities, list, sizeof list);
            s_error(ld, node, "%s: unknown severity \"%.64s\"; expected %s", path, value, list);
            return false;
        }
        return true;
    default:
        if (s_index(pl_lifecycle_responsibilities, value) < 0) {
            s_join(pl_lifecycle_responsibilities, list, sizeof list);
            s_error(ld, node, "%s: unknown responsibility \"%.64s\"; expected %s", path, value,
                    list);
            return false;
        }
        return true;
    }
}

/* One key of `when`: a value or a list of values; false after a report. */
static bool s_parse_when_key(s_rule_ld_t *r, int key, const char *path, const pl_yaml_node_t *value)
{
    pl__lifecycle_ld_t *ld = r->ld;
    char expected[64];
    snprintf(expected, sizeof expected, "a %s or a list of them", pl_lifecycle_when_keys[key]);
    size_t count = s_items(ld, path, value, expected, PL_LIFECYCLE_MAX_VALUES, "values");
    pl__lifecycle_list_t *list = &r->rule->when[key];
    if (count == 0 || !s_list_alloc(ld, value, list, count)) {
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = s_item(value, i);
        char item_path[96];
        s_item_path(item_path, sizeof item_path, path, value, i);
        const char *text = pl__lifecycle_read_string(ld, item_path, item, expected);
        if (!text || !s_check_when_value(ld, key, item_path, item, text)) {
            ok = false;
        } else if (pl__lifecycle_list_has(list, text)) {
            s_error(ld, item, "%s: \"%.64s\" is listed twice", item_path, text);
            ok = false;
        } else if (!s_list_push(ld, item, list, text)) {
            ok = false;
        }
    }
    return ok;
}

static void s_parse_when(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                         size_t index)
{
    (void)earlier;
    (void)index;
    pl__lifecycle_ld_t *ld = r->ld;
    char path[48], desc[64], keys[128];
    snprintf(path, sizeof path, "%s.when", r->path);
    s_join(pl_lifecycle_when_keys, keys, sizeof keys);
    r->seen->has_when = true;
    r->seen->comparable = false;
    if (pl_yaml_node_kind(value) != PL_YAML_MAPPING) {
        s_error(ld, value,
                "%s: expected a mapping of %s such as {responsibility: misuse}, found %s; leave "
                "when out for a rule that matches every case",
                path, keys, pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    if (pl_yaml_node_count(value) == 0) {
        s_error(ld, value, "%s: empty; leave when out for a rule that matches every case", path);
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < pl_yaml_node_count(value); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(value, i);
        int k = 0;
        while (pl_lifecycle_when_keys[k] && !pl__lifecycle_key_is(key, pl_lifecycle_when_keys[k])) {
            k++;
        }
        if (!pl_lifecycle_when_keys[k]) {
            s_error(ld, key, "%s: unknown key %s; expected %s", path,
                    pl_yaml_node_describe(key, desc, sizeof desc), keys);
            ok = false;
            continue;
        }
        char key_path[64];
        snprintf(key_path, sizeof key_path, "%s.%s", path, pl_lifecycle_when_keys[k]);
        ok = s_parse_when_key(r, k, key_path, pl_yaml_node_value(value, i)) && ok;
    }
    r->seen->comparable = ok;
}

/* One level: a role or a list of roles, none in an earlier level. */
static void s_parse_level(s_rule_ld_t *r, const char *path, const pl_yaml_node_t *value,
                          size_t level)
{
    pl__lifecycle_ld_t *ld = r->ld;
    pl__approval_rule_t *rule = r->rule;
    pl__lifecycle_list_t *roles = &rule->levels[level];
    char desc[64];
    if (pl_yaml_node_kind(value) == PL_YAML_SEQUENCE && pl_yaml_node_count(value) == 0) {
        s_error(ld, value, "%s: an empty level; give a role or a list of roles", path);
        return;
    }
    if (pl_yaml_node_kind(value) == PL_YAML_MAPPING || pl_yaml_node_is_null(value)) {
        s_error(ld, value, "%s: expected a role or a list of roles, found %s", path,
                pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t count = s_items(ld, path, value, "a role or a list of roles",
                           PL_LIFECYCLE_MAX_LEVEL_ROLES, "roles in one level");
    if (count == 0 || !s_list_alloc(ld, value, roles, count)) {
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = s_item(value, i);
        char item_path[96];
        s_item_path(item_path, sizeof item_path, path, value, i);
        const char *role = pl__lifecycle_read_string(ld, item_path, item, "a role id");
        if (!role || !pl__lifecycle_check_role(
                         ld, item_path, item, role,
                         "a level names roles (anybody holding one of them approves it)")) {
            ok = false;
            continue;
        }
        if (pl__lifecycle_list_has(roles, role)) {
            s_error(ld, item, "%s: \"%.64s\" is listed twice in this level", item_path, role);
            ok = false;
            continue;
        }
        size_t j = 0;
        while (j < level && !pl__lifecycle_list_has(&rule->levels[j], role)) {
            j++;
        }
        if (j < level) {
            s_error(ld, item, "%s: role \"%.64s\" is already in level %zu", item_path, role, j + 1);
            ok = false;
            continue;
        }
        if (!s_list_push(ld, item, roles, role)) {
            ok = false;
        }
    }
    /* A level nobody can approve would hold every case it gets. */
    if (ok && ld->rules) {
        bool held = false;
        for (size_t i = 0; i < roles->count && !held; i++) {
            held = pl_lifecycle_pick_person(ld->rules, roles->items[i], NULL) != NULL;
        }
        if (!held && roles->count == 1) {
            s_error(ld, value,
                    "%s: nobody in the directory holds role \"%s\"; the level could never be "
                    "approved",
                    path, roles->items[0]);
        } else if (!held) {
            s_error(ld, value,
                    "%s: nobody in the directory holds any of these roles; the level could never "
                    "be approved",
                    path);
        }
    }
}

static void s_parse_levels(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                           size_t index)
{
    (void)earlier;
    (void)index;
    pl__lifecycle_ld_t *ld = r->ld;
    char path[48];
    snprintf(path, sizeof path, "%s.levels", r->path);
    size_t count = s_items(ld, path, value,
                           "a role, or a list of levels, each a role or a list of roles, such as "
                           "[vp_marketing, [general_manager, management_rep]]",
                           PL_LIFECYCLE_MAX_LEVELS, "levels");
    if (count == 0) {
        return;
    }
    r->rule->levels = calloc(count, sizeof *r->rule->levels);
    if (!r->rule->levels) {
        s_oom(ld, value);
        return;
    }
    r->rule->levels_count = count;
    for (size_t i = 0; i < count; i++) {
        char level_path[64];
        s_item_path(level_path, sizeof level_path, path, value, i);
        s_parse_level(r, level_path, s_item(value, i), i);
    }
}

static void s_parse_within(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                           size_t index)
{
    (void)earlier;
    (void)index;
    pl__lifecycle_ld_t *ld = r->ld;
    char path[48];
    snprintf(path, sizeof path, "%s.within", r->path);
    const char *text = pl__lifecycle_read_string(
        ld, path, value, "a duration such as 4 business hours or 1 working day");
    if (!text) {
        return;
    }
    pl_err_t err;
    pl_err_clear(&err);
    if (pl_duration_parse(text, &r->rule->within, &err) != 0) {
        s_error(ld, value, "%s: %s", path, err.message);
        return;
    }
    r->rule->has_within = true;
}

/* The ids of the calendars, "default, always or plant", for messages. */
static const char *s_calendar_at(const void *ctx, size_t i)
{
    return pl_calendar_id(pl_calendars_at(ctx, i));
}

static void s_parse_calendar(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                             size_t index)
{
    (void)earlier;
    (void)index;
    pl__lifecycle_ld_t *ld = r->ld;
    char path[48], list[S_MAX_LIST];
    snprintf(path, sizeof path, "%s.calendar", r->path);
    const char *id = pl__lifecycle_read_string(ld, path, value, "a calendar id such as default");
    if (!id) {
        return;
    }
    if (ld->rules && !ld->calendars) {
        s_error(ld, value, "%s: unknown calendar \"%.64s\"; the rules have no calendars", path, id);
        return;
    }
    if (ld->calendars && !pl_calendars_get(ld->calendars, id)) {
        s_join_fn(s_calendar_at, ld->calendars, pl_calendars_count(ld->calendars), list,
                  sizeof list);
        s_error(ld, value,
                "%s: unknown calendar \"%.64s\"; expected %s (calendar is \"default\", calendars "
                "lists the others)",
                path, id, list);
        return;
    }
    if ((r->rule->calendar = strdup(id)) == NULL) {
        s_oom(ld, value);
    }
}

static void s_parse_escalate(s_rule_ld_t *r, const pl_yaml_node_t *value, s_seen_t *earlier,
                             size_t index)
{
    (void)earlier;
    (void)index;
    pl__lifecycle_ld_t *ld = r->ld;
    char path[48];
    snprintf(path, sizeof path, "%s.escalate", r->path);
    size_t count = s_items(ld, path, value, "a role, person or department id, or a list of them",
                           PL_LIFECYCLE_MAX_ESCALATE, "ids");
    pl__lifecycle_list_t *list = &r->rule->escalate;
    if (count == 0 || !s_list_alloc(ld, value, list, count)) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = s_item(value, i);
        char item_path[96];
        s_item_path(item_path, sizeof item_path, path, value, i);
        const char *id =
            pl__lifecycle_read_string(ld, item_path, item, "a role, person or department id");
        if (!id) {
            continue;
        }
        if (ld->rules && pl_rules_directory_kind(ld->rules, id) == PL_DIRECTORY_NONE) {
            s_error(ld, item, "%s: unknown role, person or department \"%.64s\"", item_path, id);
        } else if (pl__lifecycle_list_has(list, id)) {
            s_error(ld, item, "%s: \"%.64s\" is listed twice", item_path, id);
        } else {
            s_list_push(ld, item, list, id);
        }
    }
}

/* The keys of an approval rule, in the order they are documented. */
static const struct {
    const char *name;
    s_rule_key_fn parse;
} s_rule_keys[] = {
    {"name", s_parse_name},     {"when", s_parse_when},         {"levels", s_parse_levels},
    {"within", s_parse_within}, {"calendar", s_parse_calendar}, {"escalate", s_parse_escalate},
};

#define S_RULE_KEY_COUNT (sizeof s_rule_keys / sizeof s_rule_keys[0])

/* Whether every case `later` matches is matched by `first` (each key `first`
 * tests, `later` tests too, with values among `first`'s). Exact, since a
 * `when` is a conjunction of value sets and a case may lack a value. */
static bool s_covers(const pl__approval_rule_t *first, const pl__approval_rule_t *later)
{
    for (int k = 0; k < PL__WHEN_COUNT; k++) {
        const pl__lifecycle_list_t *a = &first->when[k], *b = &later->when[k];
        if (a->count == 0) {
            continue;
        }
        if (b->count == 0) {
            return false;
        }
        for (size_t i = 0; i < b->count; i++) {
            if (!pl__lifecycle_list_has(a, b->items[i])) {
                return false;
            }
        }
    }
    return true;
}

/* How messages name rule `index`: its name as written (valid or not), else
 * its position. */
static void s_rule_label(const s_seen_t *seen, size_t index, char *buf, size_t size)
{
    const pl_yaml_node_t *name =
        seen[index].node && pl_yaml_node_kind(seen[index].node) == PL_YAML_MAPPING
            ? pl_yaml_node_get(seen[index].node, "name")
            : NULL;
    if (name && pl_yaml_node_kind(name) == PL_YAML_SCALAR && !pl_yaml_node_is_null(name) &&
        pl_yaml_node_scalar_size(name) > 0) {
        char desc[64];
        snprintf(buf, size, "%s", pl_yaml_node_describe(name, desc, sizeof desc));
    } else {
        snprintf(buf, size, "approvals[%zu]", index + 1);
    }
}

/* Reports the rule if an earlier one matches every case it would. */
static void s_check_shadowed(s_rule_ld_t *r, const pl__approval_rule_t *rules, s_seen_t *seen,
                             size_t index)
{
    if (!seen[index].comparable) {
        return;
    }
    for (size_t j = 0; j < index; j++) {
        if (!seen[j].comparable || !s_covers(&rules[j], r->rule)) {
            continue;
        }
        char later[80], first[80];
        s_rule_label(seen, index, later, sizeof later);
        s_rule_label(seen, j, first, sizeof first);
        if (!seen[j].has_when) {
            s_error(r->ld, r->node,
                    "%s: rule %s can never match: the catch-all rule %s (no when) at line %d "
                    "comes first",
                    r->path, later, first, pl_yaml_node_line(seen[j].node));
        } else {
            s_error(r->ld, r->node,
                    "%s: rule %s can never match: rule %s at line %d comes first and matches "
                    "every case it would",
                    r->path, later, first, pl_yaml_node_line(seen[j].node));
        }
        return;
    }
}

static void s_parse_rule(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *list, size_t index,
                         pl__approval_rule_t *rules, s_seen_t *seen)
{
    char desc[64], keys[128];
    s_rule_ld_t r = {.ld = ld, .rule = &rules[index], .seen = &seen[index]};
    r.node = pl_yaml_node_item(list, index);
    snprintf(r.path, sizeof r.path, "approvals[%zu]", index + 1);
    seen[index].node = r.node;
    if (pl_yaml_node_kind(r.node) != PL_YAML_MAPPING) {
        s_error(ld, r.node, "%s: expected a mapping with a name and levels, found %s", r.path,
                pl_yaml_node_describe(r.node, desc, sizeof desc));
        return;
    }
    /* Without `when` the rule matches every case: comparable as it is. */
    seen[index].comparable = true;
    for (size_t i = 0; i < pl_yaml_node_count(r.node); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(r.node, i);
        size_t k = 0;
        while (k < S_RULE_KEY_COUNT && !pl__lifecycle_key_is(key, s_rule_keys[k].name)) {
            k++;
        }
        if (k == S_RULE_KEY_COUNT) {
            size_t used = 0;
            for (size_t j = 0; j < S_RULE_KEY_COUNT; j++) {
                used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", j ? ", " : "",
                                         s_rule_keys[j].name);
            }
            s_error(ld, key, "%s: unknown key %s; expected %s", r.path,
                    pl_yaml_node_describe(key, desc, sizeof desc), keys);
            continue;
        }
        if (pl__lifecycle_key_is(key, "within")) {
            r.within_key = key;
        } else if (pl__lifecycle_key_is(key, "calendar")) {
            r.calendar_key = key;
        } else if (pl__lifecycle_key_is(key, "escalate")) {
            r.escalate_key = key;
        }
        s_rule_keys[k].parse(&r, pl_yaml_node_value(r.node, i), seen, index);
    }

    /* What needs several keys, and the defaults. */
    pl__approval_rule_t *rule = r.rule;
    if (!pl_yaml_node_get(r.node, "name")) {
        s_error(ld, r.node, "%s: missing name (an id such as quality_reply)", r.path);
    }
    if (!pl_yaml_node_get(r.node, "levels")) {
        s_error(ld, r.node,
                "%s: missing levels (the roles that approve, level by level, such as "
                "[vp_marketing, general_manager])",
                r.path);
    }
    if (r.calendar_key && !r.within_key) {
        s_error(ld, r.calendar_key,
                "%s.calendar: without within there is no approval deadline to count; give within "
                "or leave calendar out",
                r.path);
    }
    if (r.escalate_key && !r.within_key) {
        s_error(ld, r.escalate_key,
                "%s.escalate: the ids are told when the approval deadline is breached, and "
                "without within there is none; give within or leave escalate out",
                r.path);
    }
    if (rule->has_within && !r.calendar_key) {
        /* A real duration needs no calendar; the others count in the
         * default one, which a snapshot of pl_config always has. */
        if (ld->rules && !ld->calendars && rule->within.kind != PL_DURATION_REAL) {
            s_error(ld, pl_yaml_node_get(r.node, "within"),
                    "%s.within: \"%.60s\" counts in the default calendar, and the rules have "
                    "no calendars",
                    r.path, pl_yaml_node_scalar(pl_yaml_node_get(r.node, "within")));
        }
        if ((rule->calendar = strdup(PL_CALENDAR_DEFAULT_ID)) == NULL) {
            s_oom(ld, r.node);
        }
    }
    s_check_shadowed(&r, rules, seen, index);
}

void pl__lifecycle_load_approvals(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *value)
{
    char desc[64];
    pl_lifecycle_t *lc = ld->lc;
    if (pl_yaml_node_is_null(value)) {
        return; /* `approvals:` left empty: no rules */
    }
    if (pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        s_error(ld, value,
                "approvals: expected a list of approval rules, each with a name and levels, "
                "found %s",
                pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t n = pl_yaml_node_count(value);
    if (n > PL_LIFECYCLE_MAX_RULES) {
        s_error(ld, value, "approvals: more than %d rules", PL_LIFECYCLE_MAX_RULES);
        return;
    }
    if (n == 0) {
        return;
    }
    lc->rules = calloc(n, sizeof *lc->rules);
    s_seen_t *seen = calloc(n, sizeof *seen);
    if (!lc->rules || !seen) {
        free(seen);
        s_oom(ld, value);
        return;
    }
    lc->rules_count = n;
    for (size_t i = 0; i < n; i++) {
        s_parse_rule(ld, value, i, lc->rules, seen);
    }
    free(seen);
}
