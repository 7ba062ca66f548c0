/*
 * lifecycle_internal.h: the layout of a pl_lifecycle_t and the helpers
 * shared by the files of the lifecycle module (lifecycle.c: the object,
 * plans and the matrix; lifecycle_load.c: the loader). Never included
 * outside config/lifecycle*.c.
 */
#ifndef PL_LIFECYCLE_INTERNAL_H
#define PL_LIFECYCLE_INTERNAL_H

#include "config/calendar.h"
#include "config/lifecycle.h"

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

#endif
