/*
 * rules_sections.c: the parsers of the rules sections: directory
 * (departments, roles, people), classify, kind_rules, categories, tags and
 * routing, each entry checked key by key with every reference resolved.
 * Conditions are parsed by rules_cond.c.
 */
#include "config/rules_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest list of a person's roles, or of ids to inform (duplicates are
 * looked for pairwise). */
enum { S_MAX_LIST = 1000 };

/* ---- directory ---------------------------------------------------------------------------- */

/* Directory ids share one namespace; the map's value says what each is. */
enum { S_DIR_DEPT = 0, S_DIR_ROLE = 1, S_DIR_PERSON = 2 };
#define S_DIR_VALUE(type, index) ((long)(index)*4 + (type))
#define S_DIR_TYPE(value) ((int)((value) % 4))
#define S_DIR_INDEX(value) ((size_t)((value) / 4))

static const char *const s_dir_type_names[] = {"department", "role", "person"};

typedef struct {
    pl__load_t *ld;
    pl__idmap_t *ids;
} s_dir_t;

/* Looks `id` up as a `type` (or any type when type < 0); reports at `node`
 * and returns -1 when it is not one. */
static long s_dir_find(s_dir_t *dir, const pl_yaml_node_t *node, const char *what, const char *id,
                       int type)
{
    long value = pl__idmap_find(dir->ids, id);
    if (value >= 0 && (type < 0 || S_DIR_TYPE(value) == type)) {
        return value;
    }
    const char *wanted = type < 0 ? "role, person or department" : s_dir_type_names[type];
    if (value >= 0) {
        pl__rules_error(dir->ld, node, "%s: unknown %s \"%s\" (\"%s\" is a %s)", what, wanted, id,
                        id, s_dir_type_names[S_DIR_TYPE(value)]);
    } else {
        pl__rules_error(dir->ld, node, "%s: unknown %s \"%s\"", what, wanted, id);
    }
    return -1;
}

static void s_load_named_list(s_dir_t *dir, const pl_yaml_node_t *node, int type)
{
    pl__load_t *ld = dir->ld;
    pl_rules_t *rules = ld->rules;
    char what[64];
    snprintf(what, sizeof what, "directory.%s", type == S_DIR_DEPT ? "departments" : "roles");
    size_t count = pl__rules_items(ld, node, what);
    static const char *const keys[] = {"id", "name", NULL};
    static const char *const required[] = {"id", NULL};
    pl__named_t *items = pl__rules_array(ld, count, sizeof *items);
    if (!items) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        if (!pl__rules_check_keys(ld, item, what, keys, required)) {
            continue;
        }
        const pl_yaml_node_t *id_node = pl_yaml_node_get(item, "id");
        const char *id = pl__rules_id(ld, id_node, what);
        if (!id) {
            continue;
        }
        bool added = false;
        pl__idslot_t *slot = pl__idmap_add(dir->ids, id, S_DIR_VALUE(type, i), id_node, &added);
        if (!slot) {
            pl__rules_error(ld, id_node, "out of memory");
            continue;
        }
        if (!added) {
            pl__rules_duplicate(ld, id_node, what, id, slot);
            continue;
        }
        items[i].id = pl__rules_copy(ld, id);
        items[i].name = pl__rules_opt_string(ld, item, "name", what);
        if (!items[i].name) {
            items[i].name = items[i].id;
        }
    }
    if (type == S_DIR_DEPT) {
        rules->depts = items;
        rules->depts_count = count;
    } else {
        rules->roles = items;
        rules->roles_count = count;
    }
}

static void s_load_people(s_dir_t *dir, const pl_yaml_node_t *node)
{
    pl__load_t *ld = dir->ld;
    pl_rules_t *rules = ld->rules;
    const char *what = "directory.people";
    size_t count = pl__rules_items(ld, node, what);
    static const char *const keys[] = {"id",     "name",     "roles", "department",
                                       "region", "contacts", NULL};
    static const char *const required[] = {"id", NULL};
    static const char *const contact_keys[] = {"phone", "email", "wecom", "dingtalk", NULL};
    pl__person_t *people = pl__rules_array(ld, count, sizeof *people);
    if (!people) {
        return;
    }
    rules->people = people;
    rules->people_count = count;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        if (!pl__rules_check_keys(ld, item, what, keys, required)) {
            continue;
        }
        pl__person_t *person = &people[i];
        const pl_yaml_node_t *id_node = pl_yaml_node_get(item, "id");
        const char *id = pl__rules_id(ld, id_node, what);
        if (id) {
            bool added = false;
            pl__idslot_t *slot =
                pl__idmap_add(dir->ids, id, S_DIR_VALUE(S_DIR_PERSON, i), id_node, &added);
            if (!slot) {
                pl__rules_error(ld, id_node, "out of memory");
            } else if (!added) {
                pl__rules_duplicate(ld, id_node, what, id, slot);
            } else {
                person->id = pl__rules_copy(ld, id);
            }
        }
        person->name = pl__rules_opt_string(ld, item, "name", what);
        person->region = pl__rules_opt_string(ld, item, "region", what);
        const pl_yaml_node_t *dept = pl_yaml_node_get(item, "department");
        if (dept) {
            const char *dept_id = pl__rules_scalar(ld, dept, "directory.people.department");
            if (dept_id &&
                s_dir_find(dir, dept, "directory.people.department", dept_id, S_DIR_DEPT) >= 0) {
                person->department = pl__rules_copy(ld, dept_id);
            }
        }
        const pl_yaml_node_t *roles = pl_yaml_node_get(item, "roles");
        if (roles) {
            char desc[64];
            if (pl_yaml_node_kind(roles) != PL_YAML_SEQUENCE) {
                pl__rules_error(ld, roles,
                                "directory.people.roles: expected a list of role ids, "
                                "found %s",
                                pl_yaml_node_describe(roles, desc, sizeof desc));
            } else if (pl_yaml_node_count(roles) > S_MAX_LIST) {
                pl__rules_error(ld, roles, "directory.people.roles: more than %d roles",
                                S_MAX_LIST);
            } else {
                size_t n = pl_yaml_node_count(roles);
                uint32_t *list = pl__rules_array(ld, n, sizeof *list);
                for (size_t r = 0; list && r < n; r++) {
                    const pl_yaml_node_t *role = pl_yaml_node_item(roles, r);
                    const char *role_id = pl__rules_scalar(ld, role, "directory.people.roles");
                    long value = role_id ? s_dir_find(dir, role, "directory.people.roles", role_id,
                                                      S_DIR_ROLE)
                                         : -1;
                    if (value >= 0) {
                        list[person->roles_count++] = (uint32_t)S_DIR_INDEX(value);
                    }
                }
                person->roles = list;
            }
        }
        const pl_yaml_node_t *contacts = pl_yaml_node_get(item, "contacts");
        if (contacts &&
            pl__rules_check_keys(ld, contacts, "directory.people.contacts", contact_keys, NULL)) {
            const char *cw = "directory.people.contacts";
            person->phone = pl__rules_opt_string(ld, contacts, "phone", cw);
            person->email = pl__rules_opt_string(ld, contacts, "email", cw);
            person->wecom = pl__rules_opt_string(ld, contacts, "wecom", cw);
            person->dingtalk = pl__rules_opt_string(ld, contacts, "dingtalk", cw);
        }
        if (!person->name) {
            person->name = person->id;
        }
    }
}

static void s_load_directory(s_dir_t *dir, const pl_yaml_node_t *node)
{
    pl__load_t *ld = dir->ld;
    if (!node || pl_yaml_node_is_null(node)) {
        return;
    }
    static const char *const keys[] = {"departments", "roles", "people", NULL};
    if (!pl__rules_check_keys(ld, node, "directory", keys, NULL)) {
        return;
    }
    /* Departments and roles first: people refer to them. */
    s_load_named_list(dir, pl_yaml_node_get(node, "departments"), S_DIR_DEPT);
    s_load_named_list(dir, pl_yaml_node_get(node, "roles"), S_DIR_ROLE);
    s_load_people(dir, pl_yaml_node_get(node, "people"));
}

/* ---- ids of categories and tags (first pass) ---------------------------------------------- */

void pl__rules_collect_ids(pl__load_t *ld, const pl_yaml_node_t *node, const char *what,
                           pl__idmap_t *ids)
{
    size_t count = pl__rules_items(ld, node, what);
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        const pl_yaml_node_t *id_node = pl_yaml_node_get(item, "id");
        const char *id = id_node ? pl_yaml_node_scalar(id_node) : NULL;
        if (!id || pl_yaml_node_is_null(id_node) || !*id) {
            continue; /* reported by the second pass */
        }
        bool added = false;
        pl__idslot_t *slot = pl__idmap_add(ids, id, (long)i, id_node, &added);
        if (!slot) {
            pl__rules_error(ld, id_node, "out of memory");
        } else if (!added) {
            pl__rules_duplicate(ld, id_node, what, id, slot);
        }
    }
}

/* ---- classify ----------------------------------------------------------------------------- */

void pl__rules_load_classify(pl__load_t *ld, const pl_yaml_node_t *node,
                             const pl_yaml_node_t **default_category_node)
{
    pl_rules_t *rules = ld->rules;
    char desc[64];
    if (!node || pl_yaml_node_is_null(node)) {
        return;
    }
    static const char *const keys[] = {"default_category", "default_severity", "allow_unrouted",
                                       NULL};
    if (!pl__rules_check_keys(ld, node, "classify", keys, NULL)) {
        return;
    }
    const pl_yaml_node_t *cat = pl_yaml_node_get(node, "default_category");
    if (cat) {
        const char *id = pl__rules_scalar(ld, cat, "classify.default_category");
        long index = id ? pl__idmap_find(ld->category_ids, id) : -1;
        if (id && index < 0) {
            pl__rules_error(ld, cat, "classify.default_category: unknown category \"%s\"", id);
        }
        rules->default_category = (int)index;
        *default_category_node = cat;
    }
    const pl_yaml_node_t *sev = pl_yaml_node_get(node, "default_severity");
    if (sev) {
        const char *name = pl__rules_scalar(ld, sev, "classify.default_severity");
        int severity = name ? pl__rules_severity(name) : -1;
        if (name && severity < 0) {
            pl__rules_error(ld, sev,
                            "classify.default_severity: unknown severity \"%s\"; expected low, "
                            "normal, high or critical",
                            name);
        }
        rules->default_severity = severity >= 0 ? severity : PL__DEFAULT_SEVERITY;
    }
    const pl_yaml_node_t *unrouted = pl_yaml_node_get(node, "allow_unrouted");
    if (unrouted && pl_yaml_node_to_bool(unrouted, &rules->allow_unrouted) != 0) {
        pl__rules_error(ld, unrouted, "classify.allow_unrouted: expected true or false, found %s",
                        pl_yaml_node_describe(unrouted, desc, sizeof desc));
    }
}

/* ---- kind_rules --------------------------------------------------------------------------- */

/* Parses a rule's condition (`key` of `item`): NULL if absent. */
static const pl__cond_t *s_rule_cond(pl__load_t *ld, const pl_yaml_node_t *item, const char *key,
                                     bool *ok)
{
    const pl_yaml_node_t *node = pl_yaml_node_get(item, key);
    if (!node) {
        return NULL;
    }
    ld->rule_keywords = 0;
    const pl__cond_t *cond = pl__cond_parse(ld, node);
    *ok = cond != NULL;
    return cond;
}

void pl__rules_load_kind_rules(pl__load_t *ld, const pl_yaml_node_t *node)
{
    pl_rules_t *rules = ld->rules;
    ld->section = PL__SEC_KIND_RULES;
    ld->where = "kind_rules";
    size_t count = pl__rules_items(ld, node, "kind_rules");
    pl__kind_rule_t *items = pl__rules_array(ld, count, sizeof *items);
    pl__ruleset_t sec;
    if (!items || !pl__ruleset_init(&sec, ld, "kind_rules", count)) {
        return;
    }
    static const char *const keys[] = {"id", "kind", "match", NULL};
    static const char *const required[] = {"kind", "match", NULL};
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        if (!pl__rules_check_keys(ld, item, "kind_rules", keys, required)) {
            continue;
        }
        pl__kind_rule_t *rule = &items[i];
        rule->id = pl__ruleset_id(&sec, item, i, false);
        const pl_yaml_node_t *kind_node = pl_yaml_node_get(item, "kind");
        const char *kind = pl__rules_scalar(ld, kind_node, "kind_rules.kind");
        if (kind) {
            const char *const *k = ld->kinds;
            while (*k && strcmp(*k, kind) != 0) {
                k++;
            }
            if (*k) {
                rule->kind = *k;
            } else {
                pl__rules_error(ld, kind_node,
                                "kind_rules.kind: unknown kind \"%s\"; intake.kinds does not list "
                                "it",
                                kind);
            }
        }
        bool ok = true;
        rule->match = s_rule_cond(ld, item, "match", &ok);
        if (ok && rule->match) {
            pl__ruleset_check(&sec, item, i, rule->id, rule->match);
        }
    }
    rules->kind_rules = items;
    rules->kind_rules_count = count;
    pl__ruleset_fini(&sec);
}

/* ---- categories --------------------------------------------------------------------------- */

static int s_severity_key(pl__load_t *ld, const pl_yaml_node_t *item, const char *what)
{
    const pl_yaml_node_t *node = pl_yaml_node_get(item, "severity");
    if (!node) {
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "%s.severity", what);
    const char *name = pl__rules_scalar(ld, node, path);
    int severity = name ? pl__rules_severity(name) : -1;
    if (name && severity < 0) {
        pl__rules_error(ld, node,
                        "%s: unknown severity \"%s\"; expected low, normal, high or critical", path,
                        name);
    }
    return severity;
}

void pl__rules_load_categories(pl__load_t *ld, const pl_yaml_node_t *node,
                               const pl_yaml_node_t *default_category_node)
{
    pl_rules_t *rules = ld->rules;
    ld->section = PL__SEC_CATEGORIES;
    ld->where = "categories";
    size_t count = pl__rules_items(ld, node, "categories");
    pl__category_t *items = pl__rules_array(ld, count, sizeof *items);
    pl__ruleset_t sec;
    if (!items || !pl__ruleset_init(&sec, ld, "categories", count)) {
        return;
    }
    static const char *const keys[] = {"id", "label", "severity", "tags", "match", NULL};
    static const char *const required[] = {"id", NULL};
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        if (!pl__rules_check_keys(ld, item, "categories", keys, required)) {
            continue;
        }
        pl__category_t *cat = &items[i];
        /* Ids were collected (and duplicates reported) in the first pass. */
        cat->id = pl__rules_id(ld, pl_yaml_node_get(item, "id"), "categories");
        if (cat->id) {
            cat->id = pl__rules_copy(ld, cat->id);
        }
        cat->label = pl__rules_opt_string(ld, item, "label", "categories");
        cat->severity = s_severity_key(ld, item, "categories");
        const pl_yaml_node_t *tags = pl_yaml_node_get(item, "tags");
        if (tags) {
            char desc[64];
            if (pl_yaml_node_kind(tags) != PL_YAML_SEQUENCE) {
                pl__rules_error(ld, tags, "categories.tags: expected a list of tag ids, found %s",
                                pl_yaml_node_describe(tags, desc, sizeof desc));
            } else {
                size_t n = pl_yaml_node_count(tags);
                uint32_t *ids = pl__rules_array(ld, n, sizeof *ids);
                for (size_t t = 0; ids && t < n; t++) {
                    const pl_yaml_node_t *tag = pl_yaml_node_item(tags, t);
                    const char *tag_id = pl__rules_scalar(ld, tag, "categories.tags");
                    long index = tag_id ? pl__idmap_find(ld->tag_ids, tag_id) : -1;
                    if (tag_id && index < 0) {
                        pl__rules_error(ld, tag, "categories.tags: unknown tag \"%s\"", tag_id);
                    } else if (index >= 0) {
                        ids[cat->tags_count++] = (uint32_t)index;
                    }
                }
                cat->tag_ids = ids;
            }
        }
        bool ok = true;
        cat->match = s_rule_cond(ld, item, "match", &ok);
        bool is_default = rules->default_category == (int)i;
        if (!cat->match && ok && !is_default) {
            if (cat->id) {
                pl__rules_error(ld, item,
                                "categories: match is required for \"%s\" (only the default "
                                "category, classify.default_category, may leave it out)",
                                cat->id);
            }
            continue;
        }
        if (ok && cat->id) {
            pl__ruleset_check(&sec, item, i, cat->id, cat->match);
        }
    }
    if (count > 0 && rules->default_category < 0 && !default_category_node) {
        pl__rules_error(ld, node,
                        "categories: classify.default_category is required: it names the "
                        "category of events that no category matches");
    }
    rules->categories = items;
    rules->categories_count = count;
    pl__ruleset_fini(&sec);
}

/* ---- tags --------------------------------------------------------------------------------- */

void pl__rules_load_tags(pl__load_t *ld, const pl_yaml_node_t *node)
{
    pl_rules_t *rules = ld->rules;
    ld->section = PL__SEC_TAGS;
    ld->where = "tags";
    size_t count = pl__rules_items(ld, node, "tags");
    pl__tag_t *items = pl__rules_array(ld, count, sizeof *items);
    if (!items) {
        return;
    }
    static const char *const keys[] = {"id", "label", "severity", "match", NULL};
    static const char *const required[] = {"id", NULL};
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        pl__tag_t *tag = &items[i];
        tag->severity = -1;
        if (!pl__rules_check_keys(ld, item, "tags", keys, required)) {
            continue;
        }
        tag->id = pl__rules_id(ld, pl_yaml_node_get(item, "id"), "tags");
        if (tag->id) {
            tag->id = pl__rules_copy(ld, tag->id);
        }
        tag->label = pl__rules_opt_string(ld, item, "label", "tags");
        tag->severity = s_severity_key(ld, item, "tags");
        bool ok = true;
        tag->match = s_rule_cond(ld, item, "match", &ok);
    }
    rules->tags = items;
    rules->tags_count = count;
}

/* ---- routing ------------------------------------------------------------------------------ */

static void s_load_pool(s_dir_t *dir, pl__route_rule_t *rule, const pl_yaml_node_t *pool)
{
    pl__load_t *ld = dir->ld;
    pl_rules_t *rules = ld->rules;
    static const char *const keys[] = {"role", "region", "strategy", NULL};
    static const char *const required[] = {"role", NULL};
    if (!pl__rules_check_keys(ld, pool, "routing.pool", keys, required)) {
        return;
    }
    const pl_yaml_node_t *role_node = pl_yaml_node_get(pool, "role");
    const char *role = pl__rules_scalar(ld, role_node, "routing.pool.role");
    long value = role ? s_dir_find(dir, role_node, "routing.pool.role", role, S_DIR_ROLE) : -1;
    rule->pool_region_mode = PL__REGION_ANY;
    rule->pool_strategy = PL__ROUND_ROBIN;
    const pl_yaml_node_t *region_node = pl_yaml_node_get(pool, "region");
    const char *region =
        region_node ? pl__rules_scalar(ld, region_node, "routing.pool.region") : NULL;
    if (region && strcmp(region, "event") == 0) {
        rule->pool_region_mode = PL__REGION_EVENT;
    } else if (region && strcmp(region, "any") != 0) {
        rule->pool_region_mode = PL__REGION_NAMED;
        rule->pool_region = pl__rules_copy(ld, region);
    }
    const pl_yaml_node_t *strategy_node = pl_yaml_node_get(pool, "strategy");
    const char *strategy =
        strategy_node ? pl__rules_scalar(ld, strategy_node, "routing.pool.strategy") : NULL;
    if (strategy && strcmp(strategy, "least_loaded") == 0) {
        rule->pool_strategy = PL__LEAST_LOADED;
    } else if (strategy && strcmp(strategy, "round_robin") != 0) {
        pl__rules_error(ld, strategy_node,
                        "routing.pool.strategy: unknown strategy \"%s\"; expected round_robin or "
                        "least_loaded",
                        strategy);
    }
    if (value < 0) {
        return;
    }
    size_t role_index = S_DIR_INDEX(value);
    uint32_t *members = pl__rules_array(ld, rules->people_count, sizeof *members);
    size_t in_region = 0;
    for (size_t p = 0; members && p < rules->people_count; p++) {
        const pl__person_t *person = &rules->people[p];
        bool holds = false;
        for (size_t r = 0; r < person->roles_count && !holds; r++) {
            holds = person->roles[r] == role_index;
        }
        if (holds) {
            members[rule->pool_people_count++] = (uint32_t)p;
            in_region += rule->pool_region && person->region &&
                         strcmp(person->region, rule->pool_region) == 0;
        }
    }
    rule->pool_people = members;
    rule->pool_role = pl__rules_copy(ld, role);
    if (members && rule->pool_people_count == 0) {
        pl__rules_error(ld, role_node,
                        "routing.pool.role: nobody in directory.people has role \"%s\"", role);
    } else if (members && rule->pool_region && in_region == 0) {
        pl__rules_error(ld, region_node,
                        "routing.pool.region: nobody with role \"%s\" is in region \"%s\"", role,
                        rule->pool_region);
    }
}

static void s_load_inform(s_dir_t *dir, pl__route_rule_t *rule, const pl_yaml_node_t *node)
{
    pl__load_t *ld = dir->ld;
    size_t count = pl_yaml_node_kind(node) == PL_YAML_SEQUENCE ? pl_yaml_node_count(node) : 1;
    if (pl_yaml_node_kind(node) == PL_YAML_MAPPING) {
        pl__rules_error(ld, node, "routing.inform: expected a list of ids, found a mapping");
        return;
    }
    if (count > S_MAX_LIST) {
        pl__rules_error(ld, node, "routing.inform: more than %d ids", S_MAX_LIST);
        return;
    }
    const char **ids = pl__rules_array(ld, count, sizeof *ids);
    if (!ids) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item =
            pl_yaml_node_kind(node) == PL_YAML_SEQUENCE ? pl_yaml_node_item(node, i) : node;
        const char *id = pl__rules_scalar(ld, item, "routing.inform");
        if (!id || s_dir_find(dir, item, "routing.inform", id, -1) < 0) {
            continue;
        }
        bool twice = false;
        for (size_t j = 0; j < rule->inform_count && !twice; j++) {
            twice = strcmp(ids[j], id) == 0;
        }
        if (twice) {
            pl__rules_error(ld, item, "routing.inform: \"%s\" is listed twice", id);
            continue;
        }
        ids[rule->inform_count++] = pl__rules_copy(ld, id);
    }
    rule->inform = ids;
}

static void s_load_routing(s_dir_t *dir, const pl_yaml_node_t *node)
{
    pl__load_t *ld = dir->ld;
    pl_rules_t *rules = ld->rules;
    ld->section = PL__SEC_ROUTING;
    ld->where = "routing";
    size_t count = pl__rules_items(ld, node, "routing");
    pl__route_rule_t *items = pl__rules_array(ld, count, sizeof *items);
    pl__ruleset_t sec;
    if (!items || !pl__ruleset_init(&sec, ld, "routing", count)) {
        return;
    }
    static const char *const keys[] = {"id",   "when",   "department", "assignee",
                                       "pool", "inform", NULL};
    static const char *const required[] = {"department", NULL};
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        if (!pl__rules_check_keys(ld, item, "routing", keys, required)) {
            continue;
        }
        pl__route_rule_t *rule = &items[i];
        rule->id = pl__ruleset_id(&sec, item, i, false);
        const pl_yaml_node_t *dept = pl_yaml_node_get(item, "department");
        const char *dept_id = pl__rules_scalar(ld, dept, "routing.department");
        if (dept_id && s_dir_find(dir, dept, "routing.department", dept_id, S_DIR_DEPT) >= 0) {
            rule->department = pl__rules_copy(ld, dept_id);
        }
        const pl_yaml_node_t *assignee = pl_yaml_node_get(item, "assignee");
        const pl_yaml_node_t *pool = pl_yaml_node_get(item, "pool");
        if (assignee && pool) {
            pl__rules_error(ld, pool, "routing.pool: give either assignee or pool, not both");
        } else if (assignee) {
            const char *person = pl__rules_scalar(ld, assignee, "routing.assignee");
            if (person &&
                s_dir_find(dir, assignee, "routing.assignee", person, S_DIR_PERSON) >= 0) {
                rule->assignee = pl__rules_copy(ld, person);
            }
        } else if (pool) {
            s_load_pool(dir, rule, pool);
        }
        const pl_yaml_node_t *inform = pl_yaml_node_get(item, "inform");
        if (inform) {
            s_load_inform(dir, rule, inform);
        }
        bool ok = true;
        rule->when = s_rule_cond(ld, item, "when", &ok);
        if (ok) {
            pl__ruleset_check(&sec, item, i, rule->id, rule->when);
        }
    }
    rules->routes = items;
    rules->routes_count = count;
    pl__ruleset_fini(&sec);
}

void pl__rules_load_directory(pl__load_t *ld, const pl_yaml_node_t *node)
{
    s_dir_t dir = {ld, ld->dir_ids};
    s_load_directory(&dir, node);
}

void pl__rules_load_routing(pl__load_t *ld, const pl_yaml_node_t *node)
{
    s_dir_t dir = {ld, ld->dir_ids};
    s_load_routing(&dir, node);
}
