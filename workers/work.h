/*
 * work: one event on its way through the workers. The broker makes it, the
 * classifier and the router fill in their parts, the broker takes it back.
 * Exactly one stage touches a work item at a time: it is handed over, never
 * shared.
 */
#ifndef PL_WORK_H
#define PL_WORK_H

#include "config/event.h"
#include "config/rules.h"

typedef struct pl_work {
    pl_event_t *event;         /* owned */
    int kind_given;            /* the publisher stated the kind */
    const pl_rules_t *rules;   /* a reference taken at intake: the one rules
                                  version that decides this event */
    pl_classification_t cls;   /* filled by the classifier */
    pl_route_t route;          /* filled by the router */
    json_t *deadlines;         /* filled by the escalation worker: an array */
    int status;                /* 0, or the PL_E* code of the stage that failed */
    int explain;               /* a dry run: nothing is stored */
    void *ctx;                 /* the broker's, opaque to workers */
} pl_work_t;

/*
 * pl_work_new: takes ownership of *event_p (nulls it) and a new reference to
 * rules. Returns a new item (caller destroys) or NULL on OOM (then the event
 * is destroyed).
 */
pl_work_t *pl_work_new(pl_event_t **event_p, int kind_given, const pl_rules_t *rules);

/*
 * pl_work_decision_json: what the workers decided, as the store keeps it
 * with the case (sql/functions.sql: pl_submit) and "explain" shows it: pl_rules_result_json()
 * plus "candidates", "strategy" and "rule" at the top level. Returns a new
 * object (caller decrefs) or NULL when out of memory.
 */
json_t *pl_work_decision_json(const pl_work_t *work);

/* pl_work_destroy: frees the item and what it holds; accepts NULL. */
void pl_work_destroy(pl_work_t **self_p);

#endif
