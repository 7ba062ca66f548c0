/*
 * lifecycle_internal.h: the layout of a pl_lifecycle_t and the helpers
 * shared by the files of the lifecycle module (lifecycle.c: the object,
 * plans and the matrix; lifecycle_load.c: the loader; lifecycle_approvals.c:
 * the loader's reading of each approval rule). Never included outside
 * config/lifecycle*.c.
 */
#ifndef PL_LIFECYCLE_INTERNAL_H
#define PL_LIFECYCLE_INTERNAL_H

#include "config/calendar.h"
#include "config/lifecycle.h"
#include "config/load_util.h"
#include "config/yaml.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* The keys of `when`, in the order of pl_lifecycle_when_keys. */
enum {
    PL__WHEN_KIND,
    PL__WHEN_CATEGORY,
    PL__WHEN_SEVERITY,
    PL__WHEN_RESPONSIBILITY,
    PL__WHEN_COUNT
};

/* Owned strings; `count` 0 in a `when` means "any value". */
typedef struct pl__lifecycle_list {
    char **items;
    size_t count;
} pl__lifecycle_list_t;

/* One entry of `approvals`. */
typedef struct pl__approval_rule {
    char *name;
    pl__lifecycle_list_t when[PL__WHEN_COUNT];
    pl__lifecycle_list_t *levels; /* each: the roles any of whom approves the level */
    size_t levels_count;
    bool has_within;
    pl_duration_t within;
    char *calendar; /* the calendar `within` counts in; NULL without within */
    pl__lifecycle_list_t escalate;
} pl__approval_rule_t;

struct pl_lifecycle {
    atomic_long refs;
    char *escalate_to; /* a role id, or NULL */
    pl__approval_rule_t *rules;
    size_t rules_count;
};

/* pl__lifecycle_new: an object with one reference, no rules and no
 * escalate_to; NULL when out of memory. */
pl_lifecycle_t *pl__lifecycle_new(void);

/* pl__lifecycle_free: frees the object and all it owns; accepts NULL. */
void pl__lifecycle_free(pl_lifecycle_t *lc);

/* pl__lifecycle_list_has: whether `value` (may be NULL: false) is in the
 * list. */
bool pl__lifecycle_list_has(const pl__lifecycle_list_t *list, const char *value);

/* pl__lifecycle_default_escalate_to: sets escalate_to to
 * PL_LIFECYCLE_DEFAULT_ESCALATE_TO when `rules` (may be NULL) has that
 * role; false when out of memory. */
bool pl__lifecycle_default_escalate_to(pl_lifecycle_t *lc, const pl_rules_t *rules);

/* ---- the loader (lifecycle_load.c, lifecycle_approvals.c) ---- */

#define PL__LIFECYCLE_MAX_KINDS 64 /* intake.kinds (config_settings.c) */

/* One load of the two sections. */
typedef struct pl__lifecycle_ld {
    pl__load_errors_t errors;
    const pl_rules_t *rules;         /* NULL: references are not checked */
    const pl_calendars_t *calendars; /* the snapshot's, may be NULL */
    /* The kinds `when.kind` may name: intake.kinds, else the defaults;
     * kinds_known is false while intake.kinds itself is malformed (its
     * errors are config.c's). Borrowed from the document. */
    const char *kinds[PL__LIFECYCLE_MAX_KINDS + 1];
    bool kinds_known;
    pl_lifecycle_t *lc;
} pl__lifecycle_ld_t;

/* pl__lifecycle_key_is: whether the key node is exactly `name` (a key may
 * hold NUL bytes). */
bool pl__lifecycle_key_is(const pl_yaml_node_t *key, const char *name);

/* pl__lifecycle_read_string: a non-empty, non-null scalar without NUL
 * bytes (borrowed from the document), or NULL after reporting that `path`
 * expected `what`. */
const char *pl__lifecycle_read_string(pl__lifecycle_ld_t *ld, const char *path,
                                      const pl_yaml_node_t *node, const char *what);

/* pl__lifecycle_check_role: whether `id` is a role of the directory;
 * reports otherwise, adding `why` when it names something else. True
 * without a snapshot (nothing to check against). */
bool pl__lifecycle_check_role(pl__lifecycle_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                              const char *id, const char *why);

/* pl__lifecycle_load_approvals: reads the `approvals` section (a list;
 * null means no rules) into ld->lc, reporting every error. */
void pl__lifecycle_load_approvals(pl__lifecycle_ld_t *ld, const pl_yaml_node_t *value);

#endif
