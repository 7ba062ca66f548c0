/*
 * lifecycle_load.c: the loader of the `lifecycle` and `approvals` sections
 * (config/lifecycle.h): the load itself, the `lifecycle` section, the kinds
 * `when.kind` may name, and the small parsers it shares with
 * lifecycle_approvals.c, which reads each approval rule.
 *
 * A load reads the two sections in the order they appear in the file,
 * straight into a new object. Every error is reported and loading goes on;
 * the object is returned only if there was none.
 */
#include "config/lifecycle.h"

#include "config/deadlines.h"
#include "config/event.h"
#include "config/lifecycle_internal.h"
#include "config/load_util.h"
#include "config/people.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define s_error(ld, node, ...) pl__load_error(&(ld)->errors, (node), PL_ECONFIG, __VA_ARGS__)
#define s_oom(ld, node) pl__load_error(&(ld)->errors, (node), PL_ENOMEM, "out of memory")

/* ---- errors and small parsers ---------------------------------------------------------------- */

/* Whether the key node is exactly `name` (a key may hold NUL bytes). */
bool pl__lifecycle_key_is(const pl_yaml_node_t *key, const char *name)
{
    size_t size = strlen(name);
    return pl_yaml_node_scalar_size(key) == size &&
           memcmp(pl_yaml_node_scalar(key), name, size) == 0;
}

/* A non-empty, non-null scalar without NUL bytes (borrowed from the
 * document), or NULL after reporting why not. */
const char *pl__lifecycle_read_string(pl__lifecycle_ld_t *ld, const char *path,
                                      const pl_yaml_node_t *node, const char *what)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SCALAR || pl_yaml_node_is_null(node)) {
        s_error(ld, node, "%s: expected %s, found %s", path, what,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    const char *value = pl_yaml_node_scalar(node);
    size_t size = pl_yaml_node_scalar_size(node);
    if (strlen(value) != size) {
        s_error(ld, node, "%s: must not contain NUL characters", path);
        return NULL;
    }
    if (size == 0) {
        s_error(ld, node, "%s: expected %s, found an empty string", path, what);
        return NULL;
    }
    return value;
}

/* What a directory id names, for "... is a person, not a role". */
static const char *s_kind_name(pl_directory_kind_t kind)
{
    switch (kind) {
    case PL_DIRECTORY_PERSON:
        return "a person";
    case PL_DIRECTORY_ROLE:
        return "a role";
    case PL_DIRECTORY_DEPARTMENT:
        return "a department";
    default:
        return "unknown";
    }
}

/* Whether `id` is a role of the directory; reports otherwise. True without
 * a snapshot (nothing to check against). */
bool pl__lifecycle_check_role(pl__lifecycle_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                              const char *id, const char *why)
{
    if (!ld->rules) {
        return true;
    }
    pl_directory_kind_t kind = pl_rules_directory_kind(ld->rules, id);
    if (kind == PL_DIRECTORY_ROLE) {
        return true;
    }
    if (kind == PL_DIRECTORY_NONE) {
        s_error(ld, node, "%s: unknown role \"%.64s\"", path, id);
    } else {
        s_error(ld, node, "%s: \"%.64s\" is %s, not a role; %s", path, id, s_kind_name(kind), why);
    }
    return false;
}

/* ---- the lifecycle section ------------------------------------------------------------------- */

static void s_parse_escalate_to(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *value)
{
    const char *path = "lifecycle.escalate_to";
    const char *role =
        pl__lifecycle_read_string(ld, path, value, "a role id such as sales_manager");
    if (!role ||
        !pl__lifecycle_check_role(ld, path, value, role,
                                  "an escalated case goes to a person holding this role")) {
        return;
    }
    if (ld->rules && !pl_lifecycle_pick_person(ld->rules, role, NULL)) {
        s_error(ld, value,
                "%s: nobody in the directory holds role \"%.64s\"; an escalated case would have "
                "nobody to go to",
                path, role);
        return;
    }
    char *copy = strdup(role);
    if (!copy) {
        s_oom(ld, value);
        return;
    }
    free(ld->lc->escalate_to);
    ld->lc->escalate_to = copy;
}

/* *escalate_given: the section sets escalate_to (so no default applies). */
static void s_parse_lifecycle(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *value,
                              bool *escalate_given)
{
    char desc[64];
    if (pl_yaml_node_is_null(value)) {
        return; /* `lifecycle:` left empty: the defaults */
    }
    if (pl_yaml_node_kind(value) != PL_YAML_MAPPING) {
        s_error(ld, value,
                "lifecycle: expected a mapping such as {escalate_to: sales_manager}, "
                "found %s",
                pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    for (size_t i = 0; i < pl_yaml_node_count(value); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(value, i);
        const pl_yaml_node_t *v = pl_yaml_node_value(value, i);
        if (!pl__lifecycle_key_is(key, "escalate_to")) {
            s_error(ld, key, "lifecycle: unknown key %s; expected escalate_to",
                    pl_yaml_node_describe(key, desc, sizeof desc));
            continue;
        }
        if (pl_yaml_node_is_null(v)) {
            continue; /* the default, as any key left empty */
        }
        *escalate_given = true;
        s_parse_escalate_to(ld, v);
    }
}

/* ---- loading --------------------------------------------------------------------------------- */

/* The kinds `when.kind` may name: intake.kinds as config_settings.c reads
 * it, the defaults without it; unknown (not checked) while it is
 * malformed. */
static void s_read_kinds(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *root)
{
    const pl_yaml_node_t *intake = root ? pl_yaml_node_get(root, "intake") : NULL;
    const pl_yaml_node_t *kinds = intake ? pl_yaml_node_get(intake, "kinds") : NULL;
    if (!kinds) {
        size_t i = 0;
        for (; pl_event_default_kinds[i] && i < PL__LIFECYCLE_MAX_KINDS; i++) {
            ld->kinds[i] = pl_event_default_kinds[i];
        }
        ld->kinds[i] = NULL;
        ld->kinds_known = true;
        return;
    }
    size_t n = pl_yaml_node_count(kinds);
    if (pl_yaml_node_kind(kinds) != PL_YAML_SEQUENCE || n == 0 || n > PL__LIFECYCLE_MAX_KINDS) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(kinds, i);
        if (pl_yaml_node_kind(item) != PL_YAML_SCALAR || pl_yaml_node_is_null(item)) {
            return;
        }
        ld->kinds[i] = pl_yaml_node_scalar(item);
    }
    ld->kinds[n] = NULL;
    ld->kinds_known = true;
}

pl_lifecycle_t *pl_lifecycle_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                       const pl_rules_t *rules, pl_lifecycle_report_fn report,
                                       void *arg)
{
    pl__lifecycle_ld_t ld = {
        .errors = {.doc = doc, .report = report, .arg = arg},
        .rules = rules,
        .calendars = rules ? pl_rules_calendars(rules) : NULL,
    };
    if (root && pl_yaml_node_kind(root) != PL_YAML_MAPPING) {
        root = NULL; /* config.c reports a root that is not a mapping */
    }
    ld.lc = pl__lifecycle_new();
    if (!ld.lc) {
        s_oom(&ld, root);
        return NULL;
    }
    s_read_kinds(&ld, root);
    bool escalate_given = false;
    /* In file order, so that errors are too. */
    for (size_t i = 0; root && i < pl_yaml_node_count(root); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(root, i);
        if (pl__lifecycle_key_is(key, "lifecycle")) {
            s_parse_lifecycle(&ld, pl_yaml_node_value(root, i), &escalate_given);
        } else if (pl__lifecycle_key_is(key, "approvals")) {
            pl__lifecycle_load_approvals(&ld, pl_yaml_node_value(root, i));
        }
    }
    if (!escalate_given && !ld.errors.count && !pl__lifecycle_default_escalate_to(ld.lc, rules)) {
        s_oom(&ld, root);
    }
    if (ld.errors.count) {
        pl__lifecycle_free(ld.lc);
        return NULL;
    }
    return ld.lc;
}
