/*
 * lifecycle: the configuration of a case's lifecycle after the proposal
 * (docs/lifecycle.md; PROCEDURES.md R20-R22): the approval matrix (the
 * top-level section `approvals`) and whom a case goes to when its
 * follow-up is unsatisfied a second time (the top-level section
 * `lifecycle`). config/README.md documents every key.
 *
 *   lifecycle:
 *     escalate_to: sales_manager         # R22; a role of the directory
 *   approvals:                           # first matching rule wins
 *     - name: misuse_reply
 *       when: {responsibility: misuse}   # kind, category, severity, responsibility
 *       levels: [[management_rep, general_manager]]   # 1 level, either role approves
 *       within: 1 working day            # the approval deadline (optional)
 *       calendar: default                # what `within` counts in (optional)
 *       escalate: [general_manager]      # told when it is breached (optional)
 *     - name: quality_reply
 *       when: {responsibility: quality}
 *       levels: [vp_marketing, general_manager]       # 2 levels, in order
 *       within: 4 business hours
 *
 * Both sections name things of the rules snapshot loaded from the same file
 * (roles, people and departments of the directory, categories, calendars),
 * so the loader takes that snapshot and checks every reference against it.
 * The loaded object does not keep the snapshot: pl_lifecycle_plan() and
 * pl_lifecycle_pick_person() take it again, and a caller passes the
 * snapshot the object was loaded with (pl_config_t holds both).
 *
 * A loaded object is immutable and reference counted (atomically): a case
 * operation keeps the object it started with while a reload swaps in a new
 * one. Every function here is a pure function of its arguments: any number
 * of threads may call them on one object at once.
 */
#ifndef PL_LIFECYCLE_H
#define PL_LIFECYCLE_H

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/rules.h"
#include "config/yaml.h"

#include <jansson.h>
#include <stddef.h>

#define PL_LIFECYCLE_MAX_RULES 100      /* entries of `approvals` */
#define PL_LIFECYCLE_MAX_LEVELS 5       /* levels of one rule */
#define PL_LIFECYCLE_MAX_LEVEL_ROLES 20 /* roles of one level */
#define PL_LIFECYCLE_MAX_VALUES 100     /* values of one `when` key */
#define PL_LIFECYCLE_MAX_ESCALATE 100   /* ids of one rule's `escalate` */

/* The role lifecycle.escalate_to defaults to, when the directory has it. */
#define PL_LIFECYCLE_DEFAULT_ESCALATE_TO "sales_manager"

/* The responsibilities a case may be found to have (R11, R16),
 * NULL-terminated: quality (品质异常), misuse (非品质异常: the customer's
 * own misuse), other. */
extern const char *const pl_lifecycle_responsibilities[];

/* The keys of an approval rule's `when`, NULL-terminated: kind, category,
 * severity, responsibility. */
extern const char *const pl_lifecycle_when_keys[];

typedef struct pl_lifecycle pl_lifecycle_t;

/* pl_lifecycle_report_fn: receives one load error (borrowed for the call);
 * the same shape as pl_rules_report_fn. */
typedef void (*pl_lifecycle_report_fn)(const pl_err_t *err, void *arg);

/*
 * pl_lifecycle_load_yaml: reads the top-level `lifecycle` and `approvals`
 * of `root`, the root mapping of `doc` (both borrowed; root may be NULL for
 * an empty file: the defaults; other top-level keys are ignored, except
 * that `intake.kinds` gives the kinds `when.kind` may name, as for the
 * rules). `rules` (borrowed for the call) is the rules snapshot loaded from
 * the same document: roles, people, departments, categories and calendars
 * are checked against it. `rules` may be NULL when the rules had errors
 * (already reported; the caller's load fails anyway): references are then
 * not checked, and escalate_to has no default.
 * Every error found is passed to `report` (may be NULL) with code
 * PL_ECONFIG (or PL_ENOMEM), the document's name, the 1-based line and
 * column of the offending node and the key path in the message
 * ("approvals[2].levels[1]: unknown role \"vp_marketng\""; list positions
 * count from 1, as in `calendars[N]` and `notify.sinks[N]`), in the order
 * found; loading goes on after an error so that one run shows them all.
 * Returns a new object with one reference (release with
 * pl_lifecycle_unref), or NULL if any error was reported.
 */
pl_lifecycle_t *pl_lifecycle_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                       const pl_rules_t *rules, pl_lifecycle_report_fn report,
                                       void *arg);

/*
 * pl_lifecycle_new_default: what a file without both sections gives: no
 * approval rules (no proposal needs an approval) and escalate_to
 * "sales_manager" when `rules` (borrowed for the call; may be NULL) has that
 * role, else none. Returns a new object with one reference (release with
 * pl_lifecycle_unref), or NULL when out of memory.
 */
pl_lifecycle_t *pl_lifecycle_new_default(const pl_rules_t *rules);

/* pl_lifecycle_ref: takes one more reference (atomic); returns `lc`.
 * Accepts NULL. */
const pl_lifecycle_t *pl_lifecycle_ref(const pl_lifecycle_t *lc);

/* pl_lifecycle_unref: drops one reference (atomic), frees the object with
 * the last one, and sets *self_p to NULL. Accepts NULL and a pointer to
 * NULL. */
void pl_lifecycle_unref(const pl_lifecycle_t **self_p);

/* pl_lifecycle_escalate_to: the role id a case goes to when its follow-up
 * is unsatisfied in round 2 or later (R22), or NULL for none (then such a
 * case is only handled again). Valid as long as `lc`; NULL for NULL. */
const char *pl_lifecycle_escalate_to(const pl_lifecycle_t *lc);

/* pl_lifecycle_rule_count: the number of approval rules; 0 for NULL. */
size_t pl_lifecycle_rule_count(const pl_lifecycle_t *lc);

/*
 * pl_lifecycle_plan: the approval plan for a resolution proposed at `now`
 * for a case of this kind, category, severity and responsibility (each
 * borrowed, may be NULL for "not known": a rule that tests a key does not
 * match a case without it). The first rule in file order whose `when`
 * holds (a rule without `when` always holds) gives:
 *
 *   {"rule": "quality_reply",                 name, or null: no rule matched
 *    "levels": [["vp_marketing"], ["general_manager"]],
 *                                             in order; each level the roles
 *                                             any of whom approves it; []
 *                                             when no rule matched (no
 *                                             approval is needed)
 *    "within": "4 business hours" or null,    as pl_duration_format writes it
 *    "clock": "real" | "business" | "working_days" or null,
 *    "calendar": "default" or null,           what `within` counts in
 *    "due_at": 1790000000000000 or null,      microseconds since the epoch
 *    "escalate": ["general_manager"]}         ids told at the breach; []
 *
 * due_at is pl_duration_apply(within, calendar, now) (config/calendar.h),
 * with the calendar looked up by id in pl_rules_calendars(rules) (`rules`
 * borrowed; pass the snapshot `lc` was loaded with). It is null when the
 * rule has no `within`, and when the calendar cannot be found (another
 * snapshot) or its search gives up; "within", "clock" and "calendar" are
 * null exactly when the rule has no `within`.
 * Returns a new object, caller decrefs, or NULL only when out of memory.
 */
json_t *pl_lifecycle_plan(const pl_lifecycle_t *lc, const pl_rules_t *rules, const char *kind,
                          const char *category, const char *severity, const char *responsibility,
                          pl_usec_t now);

/*
 * pl_lifecycle_pick_person: the id of a person holding the role `role`
 * (borrowed): the first in directory order whose region equals `region`
 * (borrowed, may be NULL) when anybody holding the role is there, else the
 * first holder anywhere. NULL when nobody holds the role (or `rules` or
 * `role` is NULL). The string is borrowed from `rules` and valid as long as
 * it is.
 */
const char *pl_lifecycle_pick_person(const pl_rules_t *rules, const char *role, const char *region);

#endif
