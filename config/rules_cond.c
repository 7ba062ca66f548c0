/*
 * rules_cond.c: parsing conditions (the `match` of categories, tags and kind
 * rules, the `when` of routing rules) with every error located. Each key of
 * a condition mapping has a parser in s_ops; several keys in one mapping
 * must all hold. Keywords are collected for the snapshot's one automaton
 * (built in rules_load.c); evaluation is in rules_match.c.
 */
#include "config/rules_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ------------------------------------------------------------------------------ */

typedef pl__cond_t *(*s_op_fn)(pl__load_t *ld, const pl_yaml_node_t *map, const pl_yaml_node_t *key,
                               const pl_yaml_node_t *value);

typedef struct {
    const char *name;
    s_op_fn parse;     /* NULL for a modifier of `owner` */
    const char *owner; /* modifiers: the key they must stand beside */
} s_op_t;

/* How a field is used: decides which fields are accepted. */
typedef enum {
    S_USE_TEXT = 1, /* keywords, regex: event strings */
    S_USE_VALUE,    /* equals, present, absent: anything, including decided results */
    S_USE_NUMBER,   /* numeric */
} s_use_t;

static const char *const s_event_fields[] = {
    "content",          "event_id",          "source",       "kind",
    "channel",          "received_at",       "region",       "customer.name",
    "customer.phone",   "customer.address",  "product.spec", "product.order_no",
    "product.quantity", "product.ship_date", NULL,
};

static pl__cond_t *s_new(pl__load_t *ld, pl__cond_op_t op, const char *key)
{
    pl__cond_t *cond = pl__arena_alloc(&ld->rules->arena, sizeof *cond);
    if (!cond) {
        pl__rules_error(ld, NULL, "out of memory");
        return NULL;
    }
    cond->op = op;
    cond->key = key;
    return cond;
}

static pl__cond_t *s_new_group(pl__load_t *ld, pl__cond_op_t op, const char *key,
                               pl__cond_t **children, size_t count)
{
    if (count == 1 && op == PL__C_ALL) {
        return children[0];
    }
    pl__cond_t *cond = s_new(ld, op, key);
    if (!cond) {
        return NULL;
    }
    cond->children = pl__arena_alloc(&ld->rules->arena, count * sizeof *cond->children);
    if (!cond->children) {
        pl__rules_error(ld, NULL, "out of memory");
        return NULL;
    }
    memcpy(cond->children, children, count * sizeof *children);
    cond->children_count = count;
    return cond;
}

/* Reads a field name, checks that it exists and may be used this way and in
 * this section, and fills *out. */
static bool s_parse_field(pl__load_t *ld, const pl_yaml_node_t *node, s_use_t use, const char *what,
                          pl__field_t *out)
{
    const char *name = pl__rules_scalar(ld, node, what);
    if (!name) {
        return false;
    }
    static const struct {
        const char *name;
        pl__field_kind_t kind;
    } results[] = {{"kind", PL__F_KIND},
                   {"category", PL__F_CATEGORY},
                   {"severity", PL__F_SEVERITY},
                   {"tags", PL__F_TAGS}};
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++) {
        if (strcmp(name, results[i].name) != 0) {
            continue;
        }
        if (use != S_USE_VALUE) {
            pl__rules_error(ld, node,
                            "%s: %s is decided by the rules, not a text of the event; test it "
                            "with equals, present, absent or the %s shorthand",
                            what, name, name);
            return false;
        }
        pl__field_kind_t kind = results[i].kind;
        bool known = kind == PL__F_KIND
                         ? ld->section != PL__SEC_KIND_RULES
                         : ld->section == PL__SEC_TAGS || ld->section == PL__SEC_ROUTING;
        if (!known) {
            pl__rules_error(ld, node, "%s: %s is not decided yet in %s", what, name, ld->where);
            return false;
        }
        out->kind = kind;
        out->name = results[i].name;
        return true;
    }
    bool ok = false;
    for (const char *const *f = s_event_fields; *f && !ok; f++) {
        ok = strcmp(*f, name) == 0;
    }
    bool attribute = strncmp(name, "attributes.", 11) == 0;
    if (attribute) {
        /* attributes.a.b: non-empty components */
        ok = name[11] != '\0' && !strstr(name, "..") && name[strlen(name) - 1] != '.';
    }
    if (!ok) {
        char desc[64];
        pl__rules_error(ld, node,
                        "%s: unknown field %s; expected content, event_id, source, kind, "
                        "channel, received_at, region, customer.name, customer.phone, "
                        "customer.address, product.spec, product.order_no, product.quantity, "
                        "product.ship_date or attributes.NAME%s",
                        what, pl_yaml_node_describe(node, desc, sizeof desc),
                        use == S_USE_VALUE ? " (or category, severity, tags)" : "");
        return false;
    }
    if (use == S_USE_TEXT && strcmp(name, "product.quantity") == 0) {
        pl__rules_error(ld, node, "%s: product.quantity is a number; test it with numeric", what);
        return false;
    }
    if (use == S_USE_NUMBER && !attribute && strcmp(name, "product.quantity") != 0) {
        pl__rules_error(ld, node,
                        "%s: %s is not a number; numeric takes product.quantity or "
                        "attributes.NAME",
                        what, name);
        return false;
    }
    pl__arena_t *arena = &ld->rules->arena;
    size_t parts = 1;
    for (const char *p = name; *p; p++) {
        parts += *p == '.';
    }
    const char **list = pl__arena_alloc(arena, parts * sizeof *list);
    char *copy = pl__arena_strndup(arena, name, strlen(name));
    if (!list || !copy) {
        pl__rules_error(ld, node, "out of memory");
        return false;
    }
    out->kind = PL__F_EVENT;
    out->is_attribute = attribute;
    out->name = pl__arena_strndup(arena, name, strlen(name));
    size_t n = 0;
    for (char *p = copy;;) {
        list[n++] = p;
        char *dot = strchr(p, '.');
        if (!dot) {
            break;
        }
        *dot = '\0';
        p = dot + 1;
    }
    out->parts = list;
    out->parts_count = n;
    return out->name != NULL;
}

/* Collects a scalar or a sequence of scalars; returns the count (0 after an
 * error) and the item nodes in *items (arena). */
static size_t s_scalar_list(pl__load_t *ld, const pl_yaml_node_t *value, const char *what,
                            const pl_yaml_node_t ***items)
{
    size_t count = pl_yaml_node_kind(value) == PL_YAML_SEQUENCE ? pl_yaml_node_count(value) : 1;
    if (pl_yaml_node_kind(value) == PL_YAML_MAPPING) {
        pl__rules_error(ld, value, "%s: expected a value or a list of values, found a mapping",
                        what);
        return 0;
    }
    if (count == 0) {
        pl__rules_error(ld, value, "%s: the list is empty", what);
        return 0;
    }
    const pl_yaml_node_t **list = pl__arena_alloc(&ld->rules->arena, count * sizeof *list);
    if (!list) {
        pl__rules_error(ld, value, "out of memory");
        return 0;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        list[i] =
            pl_yaml_node_kind(value) == PL_YAML_SEQUENCE ? pl_yaml_node_item(value, i) : value;
        if (!pl__rules_scalar(ld, list[i], what)) {
            ok = false;
        }
    }
    *items = list;
    return ok ? count : 0;
}

/* Checks a value against what the field can hold: known categories,
 * severities, kinds and channels. */
static bool s_check_value(pl__load_t *ld, const pl__field_t *field, const pl_yaml_node_t *node,
                          const char *what, const char *value)
{
    switch (field->kind) {
    case PL__F_CATEGORY:
        if (pl__idmap_find(ld->category_ids, value) < 0) {
            pl__rules_error(ld, node, "%s: unknown category \"%s\"", what, value);
            return false;
        }
        return true;
    case PL__F_SEVERITY:
        if (pl__rules_severity(value) < 0) {
            pl__rules_error(ld, node,
                            "%s: unknown severity \"%s\"; expected low, normal, high or critical",
                            what, value);
            return false;
        }
        return true;
    case PL__F_KIND:
        for (const char *const *k = ld->kinds; *k; k++) {
            if (strcmp(*k, value) == 0) {
                return true;
            }
        }
        pl__rules_error(ld, node, "%s: unknown kind \"%s\"; intake.kinds does not list it", what,
                        value);
        return false;
    default:
        break;
    }
    if (field->kind == PL__F_EVENT && strcmp(field->name, "channel") == 0) {
        for (const char *const *c = pl_event_channels; *c; c++) {
            if (strcmp(*c, value) == 0) {
                return true;
            }
        }
        pl__rules_error(ld, node,
                        "%s: unknown channel \"%s\"; expected phone, fax, email, visit, oral, "
                        "web or system",
                        what, value);
        return false;
    }
    return true;
}

/* The tags any-of condition, from a tag id or a list of them. */
static pl__cond_t *s_tags_cond(pl__load_t *ld, const pl_yaml_node_t *value, const char *key,
                               const char *what)
{
    if (ld->section != PL__SEC_TAGS && ld->section != PL__SEC_ROUTING) {
        pl__rules_error(ld, value, "%s: tags are not decided yet in %s", what, ld->where);
        return NULL;
    }
    const pl_yaml_node_t **items;
    size_t count = s_scalar_list(ld, value, what, &items);
    if (count == 0) {
        return NULL;
    }
    uint32_t *ids = pl__arena_alloc(&ld->rules->arena, count * sizeof *ids);
    pl__cond_t *cond = s_new(ld, PL__C_TAGS, key);
    if (!ids || !cond) {
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const char *name = pl_yaml_node_scalar(items[i]);
        long id = pl__idmap_find(ld->tag_ids, name);
        if (id < 0) {
            pl__rules_error(ld, items[i], "%s: unknown tag \"%s\"", what, name);
            ok = false;
        }
        ids[i] = (uint32_t)id;
    }
    cond->tag_ids = ids;
    cond->values_count = count;
    return ok ? cond : NULL;
}

/* FIELD is VALUE or one of [VALUES]. */
static pl__cond_t *s_in_cond(pl__load_t *ld, const pl__field_t *field, const pl_yaml_node_t *value,
                             const char *key, const char *what)
{
    if (field->kind == PL__F_TAGS) {
        return s_tags_cond(ld, value, key, what);
    }
    const pl_yaml_node_t **items;
    size_t count = s_scalar_list(ld, value, what, &items);
    if (count == 0) {
        return NULL;
    }
    const char **values = pl__arena_alloc(&ld->rules->arena, count * sizeof *values);
    uint32_t *ids = NULL;
    if (field->kind == PL__F_CATEGORY) {
        ids = pl__arena_alloc(&ld->rules->arena, count * sizeof *ids);
    }
    pl__cond_t *cond = s_new(ld, PL__C_IN, key);
    if (!values || !cond || (field->kind == PL__F_CATEGORY && !ids)) {
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const char *text = pl_yaml_node_scalar(items[i]);
        ok = s_check_value(ld, field, items[i], what, text) && ok;
        values[i] = pl__arena_strndup(&ld->rules->arena, text, strlen(text));
        ok = ok && values[i];
        if (ids) {
            /* Compared as indices at run time: no string compares. */
            ids[i] = (uint32_t)pl__idmap_find(ld->category_ids, text);
        }
    }
    cond->field = *field;
    cond->value_ids = ids;
    cond->values = values;
    cond->values_count = count;
    return ok ? cond : NULL;
}

/* kind, category, severity, region, source, channel: X or [X, ...]. */
static pl__cond_t *s_parse_shorthand(pl__load_t *ld, const pl_yaml_node_t *map,
                                     const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    pl__field_t field = {0};
    if (!s_parse_field(ld, key, S_USE_VALUE, pl_yaml_node_scalar(key), &field)) {
        return NULL;
    }
    return s_in_cond(ld, &field, value, field.name, field.name);
}

static pl__cond_t *s_parse_tags(pl__load_t *ld, const pl_yaml_node_t *map,
                                const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    (void)key;
    return s_tags_cond(ld, value, "tags", "tags");
}

static pl__cond_t *s_parse_min_severity(pl__load_t *ld, const pl_yaml_node_t *map,
                                        const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    if (ld->section != PL__SEC_TAGS && ld->section != PL__SEC_ROUTING) {
        pl__rules_error(ld, key, "min_severity: severity is not decided yet in %s", ld->where);
        return NULL;
    }
    const char *name = pl__rules_scalar(ld, value, "min_severity");
    if (!name) {
        return NULL;
    }
    int severity = pl__rules_severity(name);
    if (severity < 0) {
        pl__rules_error(ld, value,
                        "min_severity: unknown severity \"%s\"; expected low, normal, high or "
                        "critical",
                        name);
        return NULL;
    }
    pl__cond_t *cond = s_new(ld, PL__C_MIN_SEVERITY, "min_severity");
    if (cond) {
        cond->severity = severity;
    }
    return cond;
}

/* equals: {FIELD: VALUE or [VALUES], ...}: every field holds. */
static pl__cond_t *s_parse_equals(pl__load_t *ld, const pl_yaml_node_t *map,
                                  const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    (void)key;
    char desc[64];
    if (pl_yaml_node_kind(value) != PL_YAML_MAPPING || pl_yaml_node_count(value) == 0) {
        pl__rules_error(ld, value, "equals: expected a mapping of FIELD: VALUE, found %s",
                        pl_yaml_node_describe(value, desc, sizeof desc));
        return NULL;
    }
    size_t count = pl_yaml_node_count(value);
    pl__cond_t **children = calloc(count, sizeof *children);
    if (!children) {
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        pl__field_t field = {0};
        if (!s_parse_field(ld, pl_yaml_node_key(value, i), S_USE_VALUE, "equals", &field)) {
            ok = false;
            continue;
        }
        children[i] = s_in_cond(ld, &field, pl_yaml_node_value(value, i), "equals", "equals");
        ok = ok && children[i];
    }
    pl__cond_t *cond = ok ? s_new_group(ld, PL__C_ALL, "equals", children, count) : NULL;
    free(children);
    return cond;
}

/* present / absent: FIELD or [FIELD, ...]: all of them. */
static pl__cond_t *s_parse_presence(pl__load_t *ld, const pl_yaml_node_t *map,
                                    const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    bool present = pl__yaml_key_is(key, "present");
    const char *what = present ? "present" : "absent";
    const pl_yaml_node_t **items;
    size_t count = s_scalar_list(ld, value, what, &items);
    if (count == 0) {
        return NULL;
    }
    pl__cond_t **children = calloc(count, sizeof *children);
    if (!children) {
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        pl__field_t field = {0};
        if (!s_parse_field(ld, items[i], S_USE_VALUE, what, &field)) {
            ok = false;
            continue;
        }
        children[i] = s_new(ld, present ? PL__C_PRESENT : PL__C_ABSENT, what);
        if (children[i]) {
            children[i]->field = field;
        }
        ok = ok && children[i];
    }
    pl__cond_t *cond = ok ? s_new_group(ld, PL__C_ALL, what, children, count) : NULL;
    free(children);
    return cond;
}

/* Registers a keyword field in the snapshot; returns its bit or -1. */
static int s_keyword_field(pl__load_t *ld, const pl_yaml_node_t *node, const pl__field_t *field)
{
    pl_rules_t *rules = ld->rules;
    for (size_t i = 0; i < rules->kw_fields_count; i++) {
        if (strcmp(rules->kw_fields[i].name, field->name) == 0) {
            return (int)i;
        }
    }
    if (rules->kw_fields_count == PL_RULES_MAX_KEYWORD_FIELDS) {
        pl__rules_error(ld, node, "fields: more than %d different fields are searched by keywords",
                        PL_RULES_MAX_KEYWORD_FIELDS);
        return -1;
    }
    rules->kw_fields[rules->kw_fields_count] = *field;
    return (int)rules->kw_fields_count++;
}

static bool s_grow(void **items, size_t *cap, size_t need, size_t item_size)
{
    if (need <= *cap) {
        return true;
    }
    size_t cap2 = *cap ? *cap * 2 : 64;
    while (cap2 < need) {
        cap2 *= 2;
    }
    void *p = realloc(*items, cap2 * item_size);
    if (!p) {
        return false;
    }
    *items = p;
    *cap = cap2;
    return true;
}

/* keywords: [w, ...] with the sibling fields: [...] (default [content]). */
static pl__cond_t *s_parse_keywords(pl__load_t *ld, const pl_yaml_node_t *map,
                                    const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    uint64_t mask = 0;
    bool ok = true;
    const pl_yaml_node_t *fields = pl_yaml_node_get(map, "fields");
    if (fields) {
        const pl_yaml_node_t **items;
        size_t count = s_scalar_list(ld, fields, "fields", &items);
        ok = count > 0;
        for (size_t i = 0; i < count; i++) {
            pl__field_t field = {0};
            int bit = -1;
            if (s_parse_field(ld, items[i], S_USE_TEXT, "fields", &field)) {
                bit = s_keyword_field(ld, items[i], &field);
            }
            if (bit < 0) {
                ok = false;
            } else {
                mask |= UINT64_C(1) << bit;
            }
        }
    } else {
        static const char *const content_parts[] = {"content"};
        pl__field_t content = {
            .kind = PL__F_EVENT, .name = "content", .parts = content_parts, .parts_count = 1};
        int bit = s_keyword_field(ld, value, &content);
        ok = bit >= 0;
        mask = ok ? UINT64_C(1) << bit : 0;
    }
    const pl_yaml_node_t **items;
    size_t count = s_scalar_list(ld, value, "keywords", &items);
    if (count == 0) {
        return NULL;
    }
    ld->rule_keywords += count;
    if (ld->rule_keywords > PL_RULES_MAX_RULE_KEYWORDS) {
        pl__rules_error(ld, value, "keywords: more than %d keywords in one rule",
                        PL_RULES_MAX_RULE_KEYWORDS);
        return NULL;
    }
    if (ld->kw_entries_count + count > PL_RULES_MAX_KEYWORDS) {
        pl__rules_error(ld, value, "keywords: more than %d keywords in the file",
                        PL_RULES_MAX_KEYWORDS);
        return NULL;
    }
    const char **texts = pl__arena_alloc(&ld->rules->arena, count * sizeof *texts);
    if (!texts) {
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        size_t size = pl_yaml_node_scalar_size(items[i]);
        if (size > PL_RULES_MAX_KEYWORD_SIZE) {
            char desc[64];
            pl__rules_error(ld, items[i], "keywords: %s is longer than %d bytes",
                            pl_yaml_node_describe(items[i], desc, sizeof desc),
                            PL_RULES_MAX_KEYWORD_SIZE);
            ok = false;
            continue;
        }
        texts[i] = pl__arena_strndup(&ld->rules->arena, pl_yaml_node_scalar(items[i]), size);
        ok = ok && texts[i];
    }
    if (!ok) {
        return NULL;
    }
    pl__cond_t *cond = s_new(ld, PL__C_KEYWORDS, "keywords");
    if (!cond ||
        !s_grow((void **)&ld->kw_cond_fields, &ld->kw_conds_cap, ld->kw_conds_count + 1,
                sizeof *ld->kw_cond_fields) ||
        !s_grow((void **)&ld->kw_entries, &ld->kw_entries_cap, ld->kw_entries_count + count,
                sizeof *ld->kw_entries)) {
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    cond->values = texts;
    cond->values_count = count;
    cond->kw_fields = mask;
    cond->kw_index = (uint32_t)ld->kw_conds_count;
    ld->kw_cond_fields[ld->kw_conds_count++] = mask;
    for (size_t i = 0; i < count; i++) {
        ld->kw_entries[ld->kw_entries_count++] = (pl__kw_entry_t){cond->kw_index, texts[i]};
    }
    ld->rules->scan_fields[ld->section == PL__SEC_ROUTING ? PL__PHASE_ROUTE : PL__PHASE_CLASSIFY] |=
        mask;
    return cond;
}

enum { S_MAX_REPETITIONS = 1000 };

/* Bounded repetitions are expanded by regcomp: "((a{1,100}){1,100}){1,100}"
 * would take seconds and gigabytes. Accepts a pattern whose {m}, {m,} and
 * {m,n} bounds multiply to at most S_MAX_REPETITIONS, nested or not (a
 * simple, safe over-estimate). */
static bool s_regex_repetitions_ok(const char *pattern)
{
    unsigned long product = 1;
    bool in_bracket = false;
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
        } else if (in_bracket) {
            in_bracket = *p != ']';
        } else if (*p == '[') {
            in_bracket = true;
            /* "[]...]" and "[^]...]": the first ] is a member */
            if (p[1] == '^') {
                p++;
            }
            if (p[1] == ']') {
                p++;
            }
        } else if (*p == '{') {
            unsigned long bound = 0;
            for (p++; *p && *p != '}'; p++) {
                if (*p >= '0' && *p <= '9') {
                    unsigned long n = 0;
                    while (*p >= '0' && *p <= '9' && n <= S_MAX_REPETITIONS) {
                        n = n * 10 + (unsigned long)(*p++ - '0');
                    }
                    bound = n > bound ? n : bound;
                    p--;
                }
            }
            product *= bound ? bound : 1;
            if (product > S_MAX_REPETITIONS || !*p) {
                return product <= S_MAX_REPETITIONS; /* an unclosed { is regcomp's to report */
            }
        }
    }
    return true;
}

/* regex: "pattern" with the siblings field: (default content) and icase. */
static pl__cond_t *s_parse_regex(pl__load_t *ld, const pl_yaml_node_t *map,
                                 const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)key;
    bool ok = true;
    pl__field_t field = {0};
    const pl_yaml_node_t *field_node = pl_yaml_node_get(map, "field");
    if (field_node) {
        ok = s_parse_field(ld, field_node, S_USE_TEXT, "field", &field);
    } else {
        static const char *const content_parts[] = {"content"};
        field = (pl__field_t){
            .kind = PL__F_EVENT, .name = "content", .parts = content_parts, .parts_count = 1};
    }
    bool icase = false;
    const pl_yaml_node_t *icase_node = pl_yaml_node_get(map, "icase");
    if (icase_node && pl_yaml_node_to_bool(icase_node, &icase) != 0) {
        char desc[64];
        pl__rules_error(ld, icase_node, "icase: expected true or false, found %s",
                        pl_yaml_node_describe(icase_node, desc, sizeof desc));
        ok = false;
    }
    const char *pattern = pl__rules_scalar(ld, value, "regex");
    if (!pattern) {
        return NULL;
    }
    if (strlen(pattern) > PL_RULES_MAX_REGEX_SIZE) {
        pl__rules_error(ld, value, "regex: longer than %d bytes", PL_RULES_MAX_REGEX_SIZE);
        return NULL;
    }
    if (!s_regex_repetitions_ok(pattern)) {
        pl__rules_error(ld, value,
                        "regex: repetition counts too large: bounds {m,n} may multiply to at "
                        "most %d",
                        S_MAX_REPETITIONS);
        return NULL;
    }
    /* Back-references make matching exponential; nothing here needs them. */
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9') {
            pl__rules_error(ld, value, "regex: back-references (\\%c) are not supported", p[1]);
            return NULL;
        }
        if (p[0] == '\\' && p[1]) {
            p++;
        }
    }
    if (ld->rules->regexes_count == PL_RULES_MAX_REGEXES) {
        pl__rules_error(ld, value, "regex: more than %d regular expressions in the file",
                        PL_RULES_MAX_REGEXES);
        return NULL;
    }
    if (!ok) {
        return NULL;
    }
    regex_t *re = malloc(sizeof *re);
    if (!re || !s_grow((void **)&ld->regexes, &ld->regexes_cap, ld->rules->regexes_count + 1,
                       sizeof *ld->regexes)) {
        free(re);
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    /* The snapshot owns the array from now on, even if compiling fails. */
    ld->rules->regexes = ld->regexes;
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    if (rc != 0) {
        char why[256];
        regerror(rc, re, why, sizeof why);
        free(re);
        pl__rules_error(ld, value, "regex: cannot compile \"%.80s\": %s", pattern, why);
        return NULL;
    }
    ld->regexes[ld->rules->regexes_count++] = re;
    pl__cond_t *cond = s_new(ld, PL__C_REGEX, "regex");
    if (!cond) {
        return NULL;
    }
    cond->field = field;
    cond->regex = re;
    cond->pattern = pl__arena_strndup(&ld->rules->arena, pattern, strlen(pattern));
    cond->icase = icase;
    return cond->pattern ? cond : NULL;
}

/* A plain scalar number: 12, -3, 2.5, 1e3. */
static bool s_number(const pl_yaml_node_t *node, double *out)
{
    const char *text = pl_yaml_node_scalar(node);
    if (!text || !pl_yaml_node_is_plain(node) || !*text) {
        return false;
    }
    char *end;
    double value = strtod(text, &end);
    if (*end != '\0' || !isfinite(value) || strchr(text, 'x') || strchr(text, 'X') ||
        text[0] == ' ') {
        return false;
    }
    *out = value;
    return true;
}

/* numeric: {field: F, gt: N, gte: N, lt: N, lte: N, eq: N}. */
static pl__cond_t *s_parse_numeric(pl__load_t *ld, const pl_yaml_node_t *map,
                                   const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    (void)key;
    char desc[64];
    if (pl_yaml_node_kind(value) != PL_YAML_MAPPING) {
        pl__rules_error(ld, value,
                        "numeric: expected a mapping such as {field: product.quantity, "
                        "gt: 10}, found %s",
                        pl_yaml_node_describe(value, desc, sizeof desc));
        return NULL;
    }
    static const struct {
        const char *name;
        unsigned bit;
    } bounds[] = {
        {"gt", PL__GT}, {"gte", PL__GTE}, {"lt", PL__LT}, {"lte", PL__LTE}, {"eq", PL__EQ}};
    pl__cond_t *cond = s_new(ld, PL__C_NUMERIC, "numeric");
    if (!cond) {
        return NULL;
    }
    double *slots[] = {&cond->gt, &cond->gte, &cond->lt, &cond->lte, &cond->eq};
    bool ok = true;
    bool has_field = false;
    for (size_t i = 0; i < pl_yaml_node_count(value); i++) {
        const pl_yaml_node_t *k = pl_yaml_node_key(value, i);
        const pl_yaml_node_t *v = pl_yaml_node_value(value, i);
        if (pl__yaml_key_is(k, "field")) {
            has_field = s_parse_field(ld, v, S_USE_NUMBER, "numeric.field", &cond->field);
            ok = ok && has_field;
            continue;
        }
        size_t b = 0;
        while (b < 5 && !pl__yaml_key_is(k, bounds[b].name)) {
            b++;
        }
        if (b == 5) {
            pl__rules_error(ld, k, "numeric: unknown key %s; expected field, gt, gte, lt, lte, eq",
                            pl_yaml_node_describe(k, desc, sizeof desc));
            ok = false;
        } else if (!s_number(v, slots[b])) {
            pl__rules_error(ld, v, "numeric.%s: expected a number, found %s", bounds[b].name,
                            pl_yaml_node_describe(v, desc, sizeof desc));
            ok = false;
        } else {
            cond->bounds |= bounds[b].bit;
        }
    }
    if (!has_field && ok) {
        pl__rules_error(ld, value, "numeric: field is required");
        return NULL;
    }
    if (ok && cond->bounds == 0) {
        pl__rules_error(ld, value, "numeric: give at least one of gt, gte, lt, lte, eq");
        return NULL;
    }
    if (!ok) {
        return NULL;
    }
    /* Refuse bounds that no number satisfies: they are always a typo. */
    double lo = -INFINITY, hi = INFINITY;
    bool lo_open = false, hi_open = false;
    if (cond->bounds & PL__GTE) {
        lo = cond->gte;
    }
    if ((cond->bounds & PL__GT) && cond->gt >= lo) {
        lo = cond->gt;
        lo_open = true;
    }
    if (cond->bounds & PL__LTE) {
        hi = cond->lte;
    }
    if ((cond->bounds & PL__LT) && cond->lt <= hi) {
        hi = cond->lt;
        hi_open = true;
    }
    bool empty = lo > hi || (lo == hi && (lo_open || hi_open));
    if (cond->bounds & PL__EQ) {
        double eq = cond->eq;
        empty = empty || eq < lo || eq > hi || (eq == lo && lo_open) || (eq == hi && hi_open);
    }
    if (empty) {
        pl__rules_error(ld, value, "numeric: no number satisfies these bounds");
        return NULL;
    }
    return cond;
}

/* all / any: [CONDITION, ...]. */
static pl__cond_t *s_parse_list(pl__load_t *ld, const pl_yaml_node_t *map,
                                const pl_yaml_node_t *key, const pl_yaml_node_t *value)
{
    (void)map;
    bool all = pl__yaml_key_is(key, "all");
    const char *what = all ? "all" : "any";
    char desc[64];
    if (pl_yaml_node_kind(value) != PL_YAML_SEQUENCE || pl_yaml_node_count(value) == 0) {
        pl__rules_error(ld, value, "%s: expected a non-empty list of conditions, found %s", what,
                        pl_yaml_node_describe(value, desc, sizeof desc));
        return NULL;
    }
    size_t count = pl_yaml_node_count(value);
    pl__cond_t **children = calloc(count, sizeof *children);
    if (!children) {
        pl__rules_error(ld, value, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        children[i] = pl__cond_parse(ld, pl_yaml_node_item(value, i));
        ok = ok && children[i];
    }
    pl__cond_t *cond = NULL;
    if (ok) {
        /* A one-item `any` is kept as a group so that it explains itself
         * the same way; s_new_group unwraps only `all`. */
        cond = s_new_group(ld, all ? PL__C_ALL : PL__C_ANY, what, children, count);
    }
    free(children);
    return cond;
}

static pl__cond_t *s_parse_not(pl__load_t *ld, const pl_yaml_node_t *map, const pl_yaml_node_t *key,
                               const pl_yaml_node_t *value)
{
    (void)map;
    (void)key;
    pl__cond_t *child = pl__cond_parse(ld, value);
    return child ? s_new_group(ld, PL__C_NOT, "not", &child, 1) : NULL;
}

static const s_op_t s_ops[] = {
    {"keywords", s_parse_keywords, NULL},
    {"fields", NULL, "keywords"},
    {"regex", s_parse_regex, NULL},
    {"field", NULL, "regex"},
    {"icase", NULL, "regex"},
    {"equals", s_parse_equals, NULL},
    {"present", s_parse_presence, NULL},
    {"absent", s_parse_presence, NULL},
    {"numeric", s_parse_numeric, NULL},
    {"all", s_parse_list, NULL},
    {"any", s_parse_list, NULL},
    {"not", s_parse_not, NULL},
    {"kind", s_parse_shorthand, NULL},
    {"category", s_parse_shorthand, NULL},
    {"severity", s_parse_shorthand, NULL},
    {"min_severity", s_parse_min_severity, NULL},
    {"region", s_parse_shorthand, NULL},
    {"source", s_parse_shorthand, NULL},
    {"channel", s_parse_shorthand, NULL},
    {"tags", s_parse_tags, NULL},
};

#define S_OP_COUNT (sizeof s_ops / sizeof s_ops[0])

pl__cond_t *pl__cond_parse(pl__load_t *ld, const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_MAPPING) {
        pl__rules_error(ld, node,
                        "expected a condition (a mapping such as {keywords: [...]}), found %s",
                        pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    size_t count = pl_yaml_node_count(node);
    if (count == 0) {
        pl__rules_error(ld, node, "empty condition");
        return NULL;
    }
    pl__cond_t **children = calloc(count, sizeof *children);
    if (!children) {
        pl__rules_error(ld, node, "out of memory");
        return NULL;
    }
    size_t used = 0;
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(node, i);
        size_t op = 0;
        while (op < S_OP_COUNT && !pl__yaml_key_is(key, s_ops[op].name)) {
            op++;
        }
        if (op == S_OP_COUNT) {
            pl__rules_error(ld, key,
                            "unknown condition %s; expected keywords, regex, equals, present, "
                            "absent, numeric, all, any, not, kind, category, severity, "
                            "min_severity, region, source, channel or tags",
                            pl_yaml_node_describe(key, desc, sizeof desc));
            ok = false;
            continue;
        }
        if (!s_ops[op].parse) {
            if (!pl_yaml_node_get(node, s_ops[op].owner)) {
                pl__rules_error(ld, key, "%s: only allowed beside %s", s_ops[op].name,
                                s_ops[op].owner);
                ok = false;
            }
            continue;
        }
        pl__cond_t *child = s_ops[op].parse(ld, node, key, pl_yaml_node_value(node, i));
        if (!child) {
            ok = false;
            continue;
        }
        children[used++] = child;
    }
    pl__cond_t *cond = ok && used > 0 ? s_new_group(ld, PL__C_ALL, "all", children, used) : NULL;
    free(children);
    return cond;
}
