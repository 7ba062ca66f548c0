/*
 * deadlines: the deadline rules of a rules snapshot (issue 4; PROCEDURES.md
 * R16-R19) and the deadlines they give a new case.
 *
 * The rules file's top-level `deadlines` section lists deadline rules
 * (config/README.md documents every key). Each says which cases it applies
 * to (`when`, the condition language of routing), in which business
 * calendar it counts (`calendar`, config/calendar.h), when it is due
 * (`within` a duration, or `every` period until a status), when to warn
 * (`warn_at` percentages), whom to escalate to on breach (`escalate`, a
 * chain of levels), which operations meet it (`met_by`) and whether it
 * stops while the case waits on the customer (`pausable`).
 *
 * The deadline rules and the calendars live in the rules snapshot
 * (config/rules.h): they are loaded, versioned and reference-counted with
 * it, so a reloaded file gives new deadlines to new cases only, and a case
 * keeps computing with the snapshot it was created under for as long as it
 * holds a reference. Everything here is a pure function of its arguments:
 * any number of threads may call it on one snapshot at once.
 */
#ifndef PL_DEADLINES_H
#define PL_DEADLINES_H

#include "common/pl_time.h"
#include "config/calendar.h"
#include "config/event.h"
#include "config/rules.h"

#include <jansson.h>
#include <stddef.h>

/* Limits of one deadline rule. */
#define PL_DEADLINES_MAX_LEVELS 10             /* levels of `escalate` */
#define PL_DEADLINES_MAX_WARNINGS 10           /* entries of `warn_at` */
#define PL_DEADLINES_MAX_TO 100                /* ids in one level's `to` */
#define PL_DEADLINES_MIN_EVERY PL_USEC_PER_MIN /* shortest `every` */

/*
 * pl_deadline_ops: the operations that can meet a deadline (`met_by`),
 * NULL-terminated: note (a progress note), visit (a recorded on-site visit
 * or consultation, R16), reply (the reply to the customer), report (a
 * report to management, R17), close (closing the case).
 */
extern const char *const pl_deadline_ops[];

/*
 * pl_deadline_statuses: the case statuses in lifecycle order,
 * NULL-terminated: registered, confirmed, assigned, investigating,
 * resolution_proposed, approved, replied, followup, closed. A recurring
 * deadline's `until` names one of them: it ends when the case reaches that
 * status or a later one.
 */
extern const char *const pl_deadline_statuses[];

/* pl_deadline_op_index, pl_deadline_status_index: the index of `name` in
 * pl_deadline_ops, respectively pl_deadline_statuses, or -1. */
int pl_deadline_op_index(const char *name);
int pl_deadline_status_index(const char *name);

/*
 * pl_rules_calendars: the business calendars of the snapshot (borrowed;
 * valid as long as the snapshot), or NULL for a snapshot made without
 * calendars that has no deadlines (pl_rules_new_empty, or
 * pl_rules_load_yaml without opts.calendars). A snapshot of
 * pl_config_load_*() always has them.
 */
const pl_calendars_t *pl_rules_calendars(const pl_rules_t *rules);

/* pl_rules_deadline_count: the number of deadline rules in the snapshot. */
size_t pl_rules_deadline_count(const pl_rules_t *rules);

/*
 * pl_rules_deadlines: the deadlines a case gets when it is created: one
 * item for every deadline rule whose `when` holds for the classified event
 * (`ev` and `cls` borrowed; `cls` as pl_rules_classify() decided it), in
 * file order, counted from `start` (the event's received_at). Each item:
 *
 *   {"name", "label", "calendar",
 *    "clock": "real" | "business" | "working_days",
 *    "within": "2 working days" (as pl_duration_format writes it) or null,
 *    "every_s": 0, or the period of a recurring deadline in seconds,
 *    "until": status or null,
 *    "start": RFC 3339 UTC, "due_at": RFC 3339 UTC or null,
 *    "warn_pct": [80], "warn_at": [RFC 3339 UTC, ...],
 *    "met_by": [ops], "pausable": bool,
 *    "chain": [{"level": 1, "to": [ids], "after_s": 0},
 *              {"level": 2, "to": [ids], "after_s": 1800}, ...],
 *    "status": "pending", "level": 0, "rules_version",
 *    "why": "when kind is \"complaint\"" or "every case (no when)"}
 *
 * due_at: `within` applied to `start` (pl_duration_apply) in the rule's
 * calendar; for a recurring deadline, start + every. warn_at: for real
 * time (a real `within`, or `every`), start + pct% of (due_at - start); for
 * business hours and working days, the instant at which pct% of the working
 * time between start and due_at has passed (pl_calendar_business_between,
 * then pl_calendar_add_business), so a warning never falls on a night or a
 * holiday. due_at is null (and warn_at empty) only when a calendar search
 * gives up (see config/calendar.h); the loader's limits make that
 * impossible for ordinary calendars.
 * A recurring deadline met by an operation is re-armed from that moment:
 * due = met_at + every_s, warnings at met_at + pct% of every_s; when it
 * repeats in working time ("every: 30 business minutes", clock
 * "business"), every_s is working time, and the re-armed instants come
 * from pl_rules_rearm().
 *
 * Returns a new array, caller decrefs (empty when no rule applies), or
 * NULL when out of memory.
 */
json_t *pl_rules_deadlines(const pl_rules_t *rules, const pl_event_t *ev,
                           const pl_classification_t *cls, pl_usec_t start);

/*
 * pl_rules_rearm: for every recurring deadline rule that repeats in
 * working time, when it is due again if met at `now`, and its warnings:
 * {"NAME": {"due_us": usec, "warn_us": [usec, ...]}, ...} (rules without
 * such deadlines give {}). The database re-arms a met recurring deadline
 * with these instants when the operation carries them, else at met_at +
 * every (real time). Returns a new object, caller decrefs, or NULL when
 * out of memory.
 */
json_t *pl_rules_rearm(const pl_rules_t *rules, pl_usec_t now);

/*
 * pl_deadline_extend: the due instant of a pausable deadline after its
 * clock stood still over [paused_at, resumed_at): `due` plus the paused
 * time as the deadline counts time: the elapsed time for the "real" clock
 * (`cal` may be NULL), the working time of `cal` within the pause for
 * "business" and "working_days" (so a pause over a weekend adds nothing,
 * and a whole paused working day moves the deadline by one working day).
 * `clock` is the item's "clock" as a pl_duration_kind_t. Returns `due` when
 * resumed_at <= paused_at, and PL_CALENDAR_NEVER when `due` is, when a
 * calendar clock has no calendar, when a calendar search gives up, or on
 * overflow.
 */
pl_usec_t pl_deadline_extend(const pl_calendar_t *cal, pl_duration_kind_t clock, pl_usec_t due,
                             pl_usec_t paused_at, pl_usec_t resumed_at);

#endif
