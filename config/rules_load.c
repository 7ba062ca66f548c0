/*
 * rules_load.c: how a load runs (pl_rules_load_yaml), what every section
 * parser shares (the id map, errors, entry helpers, the first-match section
 * tracker), and the checks that need everything read: routing coverage and
 * the keyword automaton.
 *
 * Loading reads the sections in dependency order, not file order: first the
 * directory and the ids of categories and tags (so that any rule may name
 * any of them), then classify, kind_rules, categories, tags and routing
 * (rules_sections.c), then deadlines (rules_deadlines.c). It goes on after
 * every error so that one run reports them all; the errors are reported
 * sorted by position, and the snapshot is returned only if there was none.
 */
#include "config/rules_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- id map: string -> (value, position); owns copies of its keys ------------------------- */

struct pl__idmap {
    pl__idslot_t *slots;
    size_t cap; /* power of two */
    size_t count;
};

static uint64_t s_hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    }
    return h;
}

pl__idmap_t *pl__idmap_new(void)
{
    return calloc(1, sizeof(pl__idmap_t));
}

void pl__idmap_destroy(pl__idmap_t **map_p)
{
    pl__idmap_t *map = *map_p;
    if (!map) {
        return;
    }
    for (size_t i = 0; i < map->cap; i++) {
        free(map->slots[i].key);
    }
    free(map->slots);
    free(map);
    *map_p = NULL;
}

static pl__idslot_t *s_idmap_slot(const pl__idmap_t *map, const char *key)
{
    if (!map || map->cap == 0) {
        return NULL;
    }
    for (size_t i = s_hash(key) & (map->cap - 1);; i = (i + 1) & (map->cap - 1)) {
        pl__idslot_t *slot = &map->slots[i];
        if (!slot->key || strcmp(slot->key, key) == 0) {
            return slot;
        }
    }
}

long pl__idmap_find(const pl__idmap_t *map, const char *id)
{
    const pl__idslot_t *slot = s_idmap_slot(map, id);
    return slot && slot->key ? slot->value : -1;
}

/* Adds `key` unless present. Returns the slot (new or existing: compare its
 * value) or NULL when out of memory; *added says which. */
pl__idslot_t *pl__idmap_add(pl__idmap_t *map, const char *key, long value,
                            const pl_yaml_node_t *node, bool *added)
{
    if ((map->count + 1) * 2 > map->cap) {
        size_t cap = map->cap ? map->cap * 2 : 64;
        pl__idslot_t *slots = calloc(cap, sizeof *slots);
        if (!slots) {
            return NULL;
        }
        pl__idmap_t grown = {slots, cap, 0};
        for (size_t i = 0; i < map->cap; i++) {
            if (map->slots[i].key) {
                *s_idmap_slot(&grown, map->slots[i].key) = map->slots[i];
            }
        }
        free(map->slots);
        map->slots = slots;
        map->cap = cap;
    }
    pl__idslot_t *slot = s_idmap_slot(map, key);
    *added = !slot->key;
    if (slot->key) {
        return slot;
    }
    slot->key = strdup(key);
    if (!slot->key) {
        return NULL;
    }
    slot->value = value;
    slot->line = node ? pl_yaml_node_line(node) : 0;
    slot->column = node ? pl_yaml_node_column(node) : 0;
    map->count++;
    return slot;
}

/* ---- errors and scalars ------------------------------------------------------------------- */

enum { S_MAX_PENDING = 4096 };

void pl__rules_error(pl__load_t *ld, const pl_yaml_node_t *node, const char *fmt, ...)
{
    pl_err_t err;
    pl_err_clear(&err);
    int code = strcmp(fmt, "out of memory") == 0 ? PL_ENOMEM : PL_ECONFIG;
    va_list ap;
    va_start(ap, fmt);
    pl_yaml_err_vat(&err, ld->doc, node, code, fmt, ap);
    va_end(ap);
    ld->errors++;
    /* Sections are read in dependency order, not file order; the errors are
     * sorted before they are reported. Past the cap they are only counted
     * (the config's list keeps 100 anyway). */
    if (ld->pending_count == ld->pending_cap && ld->pending_cap < S_MAX_PENDING) {
        size_t cap = ld->pending_cap ? ld->pending_cap * 2 : 16;
        pl_err_t *grown = realloc(ld->pending, cap * sizeof *grown);
        if (grown) {
            ld->pending = grown;
            ld->pending_cap = cap;
        }
    }
    if (ld->pending_count < ld->pending_cap) {
        ld->pending[ld->pending_count++] = err;
    } else if (ld->report) {
        ld->report(&err, ld->report_arg);
    }
}

/* By position; errors without one (line 0) last; ties by the order found. */
static int s_cmp_pending_ptr(const void *a, const void *b)
{
    const pl_err_t *x = *(const pl_err_t *const *)a, *y = *(const pl_err_t *const *)b;
    long lx = x->line ? x->line : (long)1 << 30, ly = y->line ? y->line : (long)1 << 30;
    if (lx != ly) {
        return lx < ly ? -1 : 1;
    }
    if (x->column != y->column) {
        return x->column < y->column ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

static void s_flush_errors(pl__load_t *ld)
{
    /* qsort is not stable: sort pointers, whose order breaks ties. */
    size_t n = ld->pending_count;
    pl_err_t **order = malloc((n ? n : 1) * sizeof *order);
    if (order) {
        for (size_t i = 0; i < n; i++) {
            order[i] = &ld->pending[i];
        }
        qsort(order, n, sizeof *order, s_cmp_pending_ptr);
    }
    for (size_t i = 0; i < n && ld->report; i++) {
        ld->report(order ? order[i] : &ld->pending[i], ld->report_arg);
    }
    free(order);
    free(ld->pending);
    ld->pending = NULL;
    ld->pending_count = ld->pending_cap = 0;
}

const char *pl__rules_scalar(pl__load_t *ld, const pl_yaml_node_t *node, const char *what)
{
    char desc[64];
    if (!node) {
        return NULL; /* a missing required key, reported as such */
    }
    if (pl_yaml_node_kind(node) != PL_YAML_SCALAR || pl_yaml_node_is_null(node)) {
        pl__rules_error(ld, node, "%s: expected a string, found %s", what,
                        pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    const char *value = pl_yaml_node_scalar(node);
    if (strlen(value) != pl_yaml_node_scalar_size(node)) {
        pl__rules_error(ld, node, "%s: must not contain NUL characters", what);
        return NULL;
    }
    if (!*value) {
        pl__rules_error(ld, node, "%s: must not be empty", what);
        return NULL;
    }
    return value;
}

int pl__rules_severity(const char *name)
{
    for (int i = 0; pl_rules_severities[i]; i++) {
        if (strcmp(pl_rules_severities[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- entry helpers ------------------------------------------------------------------------ */

bool pl__yaml_key_is(const pl_yaml_node_t *key, const char *name)
{
    size_t size = strlen(name);
    return pl_yaml_node_scalar_size(key) == size &&
           memcmp(pl_yaml_node_scalar(key), name, size) == 0;
}

/* Checks that `node` is a mapping whose keys are all in `keys` (NULL-
 * terminated) and that the `required` ones are there. Returns whether it is
 * a mapping: after other errors the caller reads what is there, so that one
 * mistake does not hide the next. */
bool pl__rules_check_keys(pl__load_t *ld, const pl_yaml_node_t *node, const char *what,
                          const char *const *keys, const char *const *required)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_MAPPING) {
        pl__rules_error(ld, node, "%s: expected a mapping, found %s", what,
                        pl_yaml_node_describe(node, desc, sizeof desc));
        return false;
    }
    for (size_t i = 0; i < pl_yaml_node_count(node); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(node, i);
        const char *const *k = keys;
        while (*k && !pl__yaml_key_is(key, *k)) {
            k++;
        }
        if (!*k) {
            char expected[256] = "";
            size_t used = 0;
            for (k = keys; *k && used < sizeof expected; k++) {
                used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s",
                                         k == keys ? "" : ", ", *k);
            }
            pl__rules_error(ld, key, "%s: unknown key %s; expected %s", what,
                            pl_yaml_node_describe(key, desc, sizeof desc), expected);
        }
    }
    for (const char *const *r = required; r && *r; r++) {
        if (!pl_yaml_node_get(node, *r)) {
            pl__rules_error(ld, node, "%s: %s is required", what, *r);
        }
    }
    return true;
}

/* An id: [A-Za-z_][A-Za-z0-9_.-]*, at most PL_RULES_MAX_ID_SIZE bytes. */
const char *pl__rules_id(pl__load_t *ld, const pl_yaml_node_t *node, const char *what)
{
    const char *id = pl__rules_scalar(ld, node, what);
    if (!id) {
        return NULL;
    }
    bool ok = strlen(id) <= PL_RULES_MAX_ID_SIZE;
    for (const char *p = id; *p && ok; p++) {
        char ch = *p;
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        ok = letter || (p > id && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-'));
    }
    if (!ok) {
        char desc[64];
        pl__rules_error(ld, node,
                        "%s: %s is not a valid id; use up to %d letters, digits, _ . -, starting "
                        "with a letter or _",
                        what, pl_yaml_node_describe(node, desc, sizeof desc), PL_RULES_MAX_ID_SIZE);
        return NULL;
    }
    return id;
}

/* A copy in the snapshot of an optional string; NULL if absent or invalid. */
const char *pl__rules_opt_string(pl__load_t *ld, const pl_yaml_node_t *map, const char *key,
                                 const char *what)
{
    const pl_yaml_node_t *node = pl_yaml_node_get(map, key);
    if (!node) {
        return NULL;
    }
    char path[96];
    snprintf(path, sizeof path, "%s.%s", what, key);
    const char *value = pl__rules_scalar(ld, node, path);
    if (!value) {
        return NULL;
    }
    char *copy = pl__arena_strndup(&ld->rules->arena, value, strlen(value));
    if (!copy) {
        pl__rules_error(ld, node, "out of memory");
    }
    return copy;
}

const char *pl__rules_copy(pl__load_t *ld, const char *s)
{
    char *copy = pl__arena_strndup(&ld->rules->arena, s, strlen(s));
    if (!copy) {
        pl__rules_error(ld, NULL, "out of memory");
    }
    return copy;
}

/* A section that is a list of entries: its items, or 0 (null = empty). */
size_t pl__rules_items(pl__load_t *ld, const pl_yaml_node_t *node, const char *what)
{
    char desc[64];
    if (!node || pl_yaml_node_is_null(node)) {
        return 0;
    }
    if (pl_yaml_node_kind(node) != PL_YAML_SEQUENCE) {
        pl__rules_error(ld, node, "%s: expected a list of entries, found %s", what,
                        pl_yaml_node_describe(node, desc, sizeof desc));
        return 0;
    }
    size_t count = pl_yaml_node_count(node);
    if (count > PL_RULES_MAX_ENTRIES) {
        pl__rules_error(ld, node, "%s: more than %d entries", what, PL_RULES_MAX_ENTRIES);
        return 0;
    }
    return count;
}

void *pl__rules_array(pl__load_t *ld, size_t count, size_t size)
{
    void *p = pl__arena_alloc(&ld->rules->arena, (count ? count : 1) * size);
    if (!p) {
        pl__rules_error(ld, NULL, "out of memory");
    }
    return p;
}

/* Reports a duplicate id at `node`. */
void pl__rules_duplicate(pl__load_t *ld, const pl_yaml_node_t *node, const char *what,
                         const char *id, const pl__idslot_t *first)
{
    pl__rules_error(ld, node, "%s: duplicate id \"%s\" (first defined at line %d, column %d)", what,
                    id, first->line, first->column);
}

/* ---- rule ids and shadowing --------------------------------------------------------------- */

bool pl__ruleset_init(pl__ruleset_t *sec, pl__load_t *ld, const char *what, size_t count)
{
    memset(sec, 0, sizeof *sec);
    sec->ld = ld;
    sec->what = what;
    sec->ids = pl__idmap_new();
    sec->conditions = pl__idmap_new();
    sec->rule_ids = calloc(count ? count : 1, sizeof *sec->rule_ids);
    if (!sec->ids || !sec->conditions || !sec->rule_ids) {
        pl__rules_error(ld, NULL, "out of memory");
        return false;
    }
    return true;
}

void pl__ruleset_fini(pl__ruleset_t *sec)
{
    pl__idmap_destroy(&sec->ids);
    pl__idmap_destroy(&sec->conditions);
    free(sec->rule_ids);
}

/* The rule's id: its `id`, or "<section>#<n>" (1-based) where ids are
 * optional. Reports duplicates. */
const char *pl__ruleset_id(pl__ruleset_t *sec, const pl_yaml_node_t *item, size_t index,
                           bool required)
{
    pl__load_t *ld = sec->ld;
    const pl_yaml_node_t *id_node = pl_yaml_node_get(item, "id");
    if (!id_node) {
        if (required) {
            return NULL; /* pl__rules_check_keys reported it */
        }
        char generated[64];
        snprintf(generated, sizeof generated, "%s#%zu", sec->what, index + 1);
        return pl__rules_copy(ld, generated);
    }
    const char *id = pl__rules_id(ld, id_node, sec->what);
    if (!id) {
        return NULL;
    }
    bool added = false;
    pl__idslot_t *slot = pl__idmap_add(sec->ids, id, (long)index, id_node, &added);
    if (!slot) {
        pl__rules_error(ld, id_node, "out of memory");
        return NULL;
    }
    if (!added) {
        pl__rules_duplicate(ld, id_node, sec->what, id, slot);
        return NULL;
    }
    return pl__rules_copy(ld, id);
}

/* Checks that the rule at `item` can ever be chosen; then records it. */
void pl__ruleset_check(pl__ruleset_t *sec, const pl_yaml_node_t *item, size_t index, const char *id,
                       const pl__cond_t *cond)
{
    pl__load_t *ld = sec->ld;
    sec->rule_ids[index] = id;
    if (sec->catch_all) {
        pl__rules_error(ld, item,
                        "%s: rule \"%s\" can never match: the catch-all rule \"%s\" at line %d "
                        "comes first",
                        sec->what, id ? id : "?", sec->catch_all, sec->catch_all_line);
        return;
    }
    if (!cond) {
        sec->catch_all = id ? id : "?";
        sec->catch_all_line = pl_yaml_node_line(item);
        return;
    }
    pl_buf_t canon = {0};
    pl__cond_canonical(cond, &canon);
    if (canon.failed || !canon.data) {
        pl_buf_free(&canon);
        pl__rules_error(ld, item, "out of memory");
        return;
    }
    bool added = false;
    pl__idslot_t *slot = pl__idmap_add(sec->conditions, canon.data, (long)index, item, &added);
    pl_buf_free(&canon);
    if (!slot) {
        pl__rules_error(ld, item, "out of memory");
    } else if (!added) {
        const char *first = sec->rule_ids[slot->value];
        pl__rules_error(ld, item,
                        "%s: rule \"%s\" can never match: rule \"%s\" at line %d has the same "
                        "condition",
                        sec->what, id ? id : "?", first ? first : "?", slot->line);
    }
}

/* ---- coverage: can every category and kind be routed? ------------------------------------ */

/* Marks in `mentioned` every category an IN condition of `cond` names. */
static void s_mark_categories(const pl__cond_t *cond, uint8_t *mentioned, size_t count)
{
    if (cond->op == PL__C_IN && cond->value_ids) {
        for (size_t i = 0; i < cond->values_count; i++) {
            if (cond->value_ids[i] < count) {
                mentioned[cond->value_ids[i]] = 1;
            }
        }
    }
    for (size_t i = 0; i < cond->children_count; i++) {
        s_mark_categories(cond->children[i], mentioned, count);
    }
}

static void s_check_coverage(pl__load_t *ld, const pl_yaml_node_t *categories,
                             const pl_yaml_node_t *kinds_node, const pl_yaml_node_t *fallback)
{
    const pl_rules_t *rules = ld->rules;
    if (rules->allow_unrouted) {
        return;
    }
    for (size_t r = 0; r < rules->routes_count; r++) {
        if (!rules->routes[r].when) {
            return; /* a catch-all routes everything */
        }
    }
    static const char hint[] = "no routing rule mentions it and none is a catch-all (add one, or "
                               "set classify.allow_unrouted: true)";
    /* One walk over the routing conditions, not one per category: a file
     * may hold thousands of both. */
    uint8_t *mentioned = calloc(rules->categories_count ? rules->categories_count : 1, 1);
    if (!mentioned) {
        pl__rules_error(ld, NULL, "out of memory");
        return;
    }
    for (size_t r = 0; r < rules->routes_count; r++) {
        if (rules->routes[r].when) {
            s_mark_categories(rules->routes[r].when, mentioned, rules->categories_count);
        }
    }
    for (size_t i = 0; i < rules->categories_count; i++) {
        const char *id = rules->categories[i].id;
        if (id && !mentioned[i]) {
            const pl_yaml_node_t *item = pl_yaml_node_item(categories, i);
            pl__rules_error(ld, pl_yaml_node_get(item, "id"),
                            "categories: category \"%s\" cannot be routed: %s", id, hint);
        }
    }
    free(mentioned);
    for (size_t i = 0; ld->kinds[i]; i++) {
        bool routable = false;
        for (size_t r = 0; r < rules->routes_count && !routable; r++) {
            routable = pl__cond_mentions(rules->routes[r].when, PL__F_KIND, ld->kinds[i]);
        }
        if (routable) {
            continue;
        }
        const pl_yaml_node_t *at = kinds_node ? pl_yaml_node_item(kinds_node, i) : NULL;
        if (!at || strcmp(pl_yaml_node_scalar(at) ? pl_yaml_node_scalar(at) : "", ld->kinds[i])) {
            at = fallback;
        }
        pl__rules_error(ld, at, "intake.kinds: kind \"%s\" cannot be routed: %s", ld->kinds[i],
                        hint);
    }
}

/* ---- shortcuts for evaluation ------------------------------------------------------------ */

static int s_cmp_named(const void *a, const void *b)
{
    return strcmp(((const pl__named_index_t *)a)->id, ((const pl__named_index_t *)b)->id);
}

/* A sorted (id, index) table of `count` items whose ids are at `first`,
 * `stride` bytes apart. */
static const pl__named_index_t *s_named_table(pl__load_t *ld, const void *first, size_t stride,
                                              size_t count)
{
    pl__named_index_t *table = pl__rules_array(ld, count, sizeof *table);
    for (size_t i = 0; table && i < count; i++) {
        table[i].id = *(const char *const *)((const char *)first + i * stride);
        table[i].index = (uint32_t)i;
    }
    if (table) {
        qsort(table, count, sizeof *table, s_cmp_named);
    }
    return table;
}

/* Builds what pl_rules_classify and pl_rules_route use to skip evaluating
 * rules that cannot be the first match (rules_internal.h). Only after a load
 * without errors: every id and condition is then present. */
static void s_build_shortcuts(pl__load_t *ld)
{
    pl_rules_t *rules = ld->rules;
    if (rules->categories_count) {
        rules->category_index = s_named_table(ld, &rules->categories[0].id,
                                              sizeof *rules->categories, rules->categories_count);
    }
    if (rules->tags_count) {
        rules->tag_index =
            s_named_table(ld, &rules->tags[0].id, sizeof *rules->tags, rules->tags_count);
    }
    int32_t *kw_cond_category = pl__rules_array(ld, ld->kw_conds_count, sizeof *kw_cond_category);
    uint32_t *slow = pl__rules_array(ld, rules->categories_count, sizeof *slow);
    int32_t *category_route = pl__rules_array(ld, rules->categories_count, sizeof *category_route);
    uint32_t *slow_routes = pl__rules_array(ld, rules->routes_count, sizeof *slow_routes);
    if (!kw_cond_category || !slow || !category_route || !slow_routes) {
        return;
    }
    for (size_t i = 0; i < ld->kw_conds_count; i++) {
        kw_cond_category[i] = -1;
    }
    for (size_t i = 0; i < rules->categories_count; i++) {
        const pl__cond_t *match = rules->categories[i].match;
        if (match && match->op == PL__C_KEYWORDS && kw_cond_category[match->kw_index] < 0) {
            kw_cond_category[match->kw_index] = (int32_t)i;
            rules->has_plain_categories = true;
        } else {
            slow[rules->slow_categories_count++] = (uint32_t)i;
        }
        category_route[i] = -1;
    }
    for (size_t r = 0; r < rules->routes_count; r++) {
        const pl__cond_t *when = rules->routes[r].when;
        if (!when || when->op != PL__C_IN || !when->value_ids) {
            slow_routes[rules->slow_routes_count++] = (uint32_t)r;
            continue;
        }
        for (size_t v = 0; v < when->values_count; v++) {
            if (category_route[when->value_ids[v]] < 0) {
                category_route[when->value_ids[v]] = (int32_t)r;
            }
        }
    }
    rules->kw_cond_category = kw_cond_category;
    rules->slow_categories = slow;
    rules->category_route = category_route;
    rules->slow_routes = slow_routes;
}

/* ---- the automaton ------------------------------------------------------------------------ */

static void s_compile_keywords(pl__load_t *ld)
{
    pl_rules_t *rules = ld->rules;
    rules->kw_entries = ld->kw_entries;
    rules->kw_entries_count = ld->kw_entries_count;
    rules->kw_cond_fields = ld->kw_cond_fields;
    rules->kw_conds_count = ld->kw_conds_count;
    ld->kw_entries = NULL;
    ld->kw_cond_fields = NULL;
    if (rules->kw_entries_count == 0 || ld->errors) {
        return;
    }
    rules->ac = pl_ac_new();
    if (!rules->ac) {
        pl__rules_error(ld, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < rules->kw_entries_count; i++) {
        const char *text = rules->kw_entries[i].text;
        if (pl_ac_add(rules->ac, text, strlen(text), (uint32_t)i) != 0) {
            pl__rules_error(ld, NULL, "out of memory");
            return;
        }
    }
    if (pl_ac_compile(rules->ac) != 0) {
        pl__rules_error(ld, NULL, "out of memory");
    }
}

pl_rules_t *pl_rules_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                               const pl_rules_opts_t *opts, pl_rules_report_fn report, void *arg)
{
    pl_rules_opts_t defaults = {0};
    opts = opts ? opts : &defaults;
    pl__load_t ld = {
        .doc = doc,
        .report = report,
        .report_arg = arg,
        .kinds = opts->kinds ? opts->kinds : pl_event_default_kinds,
    };
    /* The calendars are the snapshot's from here on, whatever happens. */
    pl_calendars_t *calendars = opts->calendars ? *opts->calendars : NULL;
    if (opts->calendars) {
        *opts->calendars = NULL;
    }
    pl_rules_t *rules = pl__rules_alloc(opts->version);
    if (!rules) {
        pl_calendars_destroy(&calendars);
        pl__rules_error(&ld, NULL, "out of memory");
        s_flush_errors(&ld);
        return NULL;
    }
    rules->calendars = calendars;
    ld.rules = rules;
    ld.calendars = calendars;
    ld.calendars_failed = opts->calendars_failed;
    const pl_yaml_node_t *nodes[7] = {NULL};
    bool any = false;
    if (root && pl_yaml_node_kind(root) == PL_YAML_MAPPING) {
        for (size_t i = 0; pl_rules_sections[i]; i++) {
            nodes[i] = pl_yaml_node_get(root, pl_rules_sections[i]);
            any = any || nodes[i];
        }
    }
    if (!any) {
        rules->empty = true;
        return rules;
    }
    const pl_yaml_node_t *directory = nodes[0], *categories = nodes[1], *tags = nodes[2],
                         *kind_rules = nodes[3], *classify = nodes[4], *routing = nodes[5],
                         *deadlines = nodes[6];
    ld.dir_ids = pl__idmap_new();
    ld.category_ids = pl__idmap_new();
    ld.tag_ids = pl__idmap_new();
    if (!ld.dir_ids || !ld.category_ids || !ld.tag_ids) {
        pl__rules_error(&ld, NULL, "out of memory");
        goto cleanup;
    }
    pl__rules_load_directory(&ld, directory);
    pl__rules_collect_ids(&ld, categories, "categories", ld.category_ids);
    pl__rules_collect_ids(&ld, tags, "tags", ld.tag_ids);
    const pl_yaml_node_t *default_category_node = NULL;
    pl__rules_load_classify(&ld, classify, &default_category_node);
    pl__rules_load_kind_rules(&ld, kind_rules);
    pl__rules_load_categories(&ld, categories, default_category_node);
    pl__rules_load_tags(&ld, tags);
    pl__rules_load_routing(&ld, routing);
    pl__rules_load_deadlines(&ld, deadlines);
    s_check_coverage(&ld, categories, opts->kinds_node, routing ? routing : root);
    if (ld.errors == 0) {
        s_build_shortcuts(&ld);
    }
    s_compile_keywords(&ld);
cleanup:
    /* ld.regexes belongs to the snapshot (rules->regexes) by now. */
    free(ld.kw_entries);
    free(ld.kw_cond_fields);
    pl__idmap_destroy(&ld.dir_ids);
    pl__idmap_destroy(&ld.category_ids);
    pl__idmap_destroy(&ld.tag_ids);
    s_flush_errors(&ld);
    if (ld.errors) {
        const pl_rules_t *dead = rules;
        pl_rules_unref(&dead);
        return NULL;
    }
    return rules;
}
